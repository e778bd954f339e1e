'use strict'
// sctp-native (this package: napi-rs around sctp-proto) over the same
// emulated link as the other implementations (common.js), so all pay the same
// transport cost. Its API is @nodertc/sctp's.
const sctp = require('../../index.js')
const { openPair, idleMany } = require('./streams')
const { main } = require('./common')

// Memory: all on one transport pair, as @nodertc/sctp's are.
const idle = idleMany(sctp, { perPair: 10000, ended: 'close' })

main({
  name: 'sctp-native',
  version: require('../../package.json').version,
  notes: [],
  open: openPair(sctp, { ended: 'close' }),
  idle
})
