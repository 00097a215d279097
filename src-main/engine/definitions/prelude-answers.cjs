// @ts-check
/**
 * What both preludes (sandbox-prelude.js for time travel, read-model-prelude.js for
 * rebuilds) do the same way inside the definition's context: describe a thrown value
 * and answer every call with text made here. Evaluated with the prelude, before the
 * definition, so the built-ins it captures are untouched.
 *
 * Not loaded from disk: scripts/sandbox-text.mjs inlines it where a prelude requires
 * `./prelude-answers.cjs`, as it inlines sandbox-context.cjs into the workers.
 */
'use strict';
const stringify = JSON.stringify;
const Str = String;

/** @typedef {{ name: string, message: string, stack: string }} ErrorInfo */

/**
 * A thrown value's name, message and stack, read defensively (it is the definition's: any getter may throw).
 * @param {any} e
 * @returns {ErrorInfo}
 */
function errorInfo(e) {
  try {
    if (e !== null && typeof e === 'object') {
      return { name: Str(e.name), message: Str(e.message), stack: typeof e.stack === 'string' ? e.stack : '' };
    }
    return { name: 'Error', message: 'threw ' + Str(e), stack: '' };
  } catch {
    return { name: 'Error', message: 'threw a value that cannot be described', stack: '' };
  }
}

/**
 * A prelude's answers for failures shaped by `failure` (each prelude's own fields around
 * the error): `describe(thrown)`, and `text(fn)`, which makes an API function always
 * answer text: its own, the failure it threw, or a constant when even that cannot be made.
 * @param {(error: ErrorInfo) => object} failure
 */
function textAnswers(failure) {
  const undescribable = stringify(failure({ name: 'Error', message: 'threw a value that cannot be described', stack: '' }));
  /** @type {(thrown: any) => string} */
  const describe = (thrown) => stringify(failure(errorInfo(thrown)));
  /**
   * @param {(a: any, b: any, c: any) => unknown} fn
   * @returns {(a?: unknown, b?: unknown, c?: unknown) => string}
   */
  function text(fn) {
    return function (a, b, c) {
      try {
        const out = fn(a, b, c);
        if (typeof out === 'string') return out;
      } catch (e) {
        try {
          const out = describe(e);
          if (typeof out === 'string') return out;
        } catch {
          // falls through to the constant answer
        }
      }
      return undescribable;
    };
  }
  return { describe, text };
}

module.exports = { errorInfo, textAnswers };
