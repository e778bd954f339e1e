// Types of the ES module entry (index.mjs): index.js's names, plus the module as default export.
import * as sctp from './index.js'

export * from './index.js'
export default sctp
