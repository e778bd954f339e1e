'use strict'
// Errors as Node's own: an Error subclass with a `code`.

function withCode (Base, code, message) {
  const err = new Base(message)
  err.code = code
  return err
}

const invalidType = (name, expected, value) =>
  withCode(TypeError, 'ERR_INVALID_ARG_TYPE',
    `The "${name}" option must be ${expected}. Received ${describe(value)}`)

const outOfRange = (name, range, value) =>
  withCode(RangeError, 'ERR_OUT_OF_RANGE',
    `The value of "${name}" is out of range. It must be ${range}. Received ${describe(value)}`)

const invalidValue = (name, reason) =>
  withCode(TypeError, 'ERR_INVALID_ARG_VALUE', `The "${name}" option is invalid: ${reason}`)

function describe (value) {
  if (value === null) return 'null'
  if (typeof value === 'function') return 'function'
  if (typeof value === 'object') return `an instance of ${value.constructor ? value.constructor.name : 'Object'}`
  return `type ${typeof value} (${String(value)})`
}

module.exports = { withCode, invalidType, outOfRange, invalidValue }
