'use strict'
// The event types of webrtc-pc that Node does not have (RTCDataChannelEvent,
// RTCErrorEvent with its RTCError), and on<event> attributes, as an HTML
// EventHandler: one listener per attribute, replaced by assignment.

class RTCDataChannelEvent extends Event {
  #channel
  constructor (type, init) {
    if (!init || typeof init !== 'object' || !init.channel) throw new TypeError('RTCDataChannelEvent needs { channel }')
    super(type, init)
    this.#channel = init.channel
  }

  get channel () { return this.#channel }
}

// webrtc-pc §11.1: an OperationError DOMException with details. `cause` is
// the SCTP layer's Error (with its `code`: ECONNRESET, ETIMEDOUT, …) when there is one.
class RTCError extends DOMException {
  #errorDetail
  #sctpCauseCode
  constructor (init, message = '') {
    if (!init || typeof init !== 'object' || typeof init.errorDetail !== 'string') throw new TypeError('RTCError needs { errorDetail }')
    super(message, init.cause === undefined ? 'OperationError' : { name: 'OperationError', cause: init.cause })
    this.#errorDetail = init.errorDetail
    this.#sctpCauseCode = init.sctpCauseCode ?? null
  }

  get errorDetail () { return this.#errorDetail }
  get sctpCauseCode () { return this.#sctpCauseCode }
  // Details of other layers (SDP, DTLS, HTTP) that never apply here.
  get sdpLineNumber () { return null }
  get httpRequestStatusCode () { return null }
  get receivedAlert () { return null }
  get sentAlert () { return null }
}

class RTCErrorEvent extends Event {
  #error
  constructor (type, init) {
    if (!init || typeof init !== 'object' || !(init.error instanceof RTCError)) throw new TypeError('RTCErrorEvent needs { error: RTCError }')
    super(type, init)
    this.#error = init.error
  }

  get error () { return this.#error }
}

// An 'error' event for an SCTP-level failure (errorDetail 'sctp-failure') or
// a channel that could not be created ('data-channel-failure').
function errorEvent (errorDetail, message, cause) {
  return new RTCErrorEvent('error', { error: new RTCError({ errorDetail, cause }, message) })
}

// on<type> attributes on `proto` (HTML "event handler IDL attributes"): a
// function becomes the one listener for `type` (called with the target as
// `this`, its own listener position kept when replaced); anything else
// removes it. The handlers live in a per-object map, made on first use.
const handlers = new WeakMap()

function defineEventHandlers (proto, types) {
  for (const type of types) {
    Object.defineProperty(proto, `on${type}`, {
      configurable: true,
      enumerable: true,
      get () {
        const own = handlers.get(this)
        const h = own && own.get(type)
        return h ? h.fn : null
      },
      set (fn) {
        let own = handlers.get(this)
        if (!own) handlers.set(this, (own = new Map()))
        const h = own.get(type)
        if (typeof fn !== 'function') {
          if (h) this.removeEventListener(type, h.listener)
          own.delete(type)
        } else if (h) {
          h.fn = fn
        } else {
          const entry = { fn, listener: (event) => entry.fn.call(this, event) }
          own.set(type, entry)
          this.addEventListener(type, entry.listener)
        }
      }
    })
  }
}

module.exports = { RTCDataChannelEvent, RTCError, RTCErrorEvent, errorEvent, defineEventHandlers }
