/*
 * crayon.h — the C ABI of libcrayon.so (Crayon.NET).
 *
 * Conventions (every function follows them):
 *   - Handles are opaque; a handle is checked for NULL and for validity on every call.
 *   - Integers are fixed width. Token ids are int32_t and never negative. Byte lengths are size_t.
 *   - Functions that only succeed or fail return an int status: CRAYON_OK (0) or a negative CRAYON_E_*.
 *   - Functions that fill a caller-owned buffer return int64_t:
 *         n >= 0            n items were written;
 *         CRAYON_FAILED     the call failed: crayon_last_status() / crayon_last_error() say why;
 *         any other n < 0   the buffer was too small and nothing useful was written;
 *                           -n is the capacity the call needs. Retry with at least that.
 *     crayon_tokenize_bound() gives a capacity that is always enough, so callers can avoid the retry.
 *   - crayon_last_error() / crayon_last_status() describe the calling thread's most recent failure.
 *     The message is owned by the library and stays valid until that thread's next failing call.
 *   - No C++ exception or managed exception ever crosses this boundary.
 *   - Everything the library allocates has a matching crayon_free_* / crayon_*_free function.
 */
#ifndef CRAYON_H
#define CRAYON_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(_WIN32)
#  define CRAYON_API __declspec(dllimport)
#else
#  define CRAYON_API __attribute__((visibility("default")))
#endif

/* ---- Status codes --------------------------------------------------------------------------- */
#define CRAYON_OK                    0
#define CRAYON_E_INVALID_ARGUMENT   (-1)  /* NULL pointer, bad length, bad flag, invalid handle   */
#define CRAYON_E_IO                 (-2)  /* a file could not be opened, read or mapped            */
#define CRAYON_E_FORMAT             (-3)  /* corrupt, truncated or wrong-version data              */
#define CRAYON_E_NOT_FOUND          (-4)  /* unknown profile or encoding name                      */
#define CRAYON_E_UNKNOWN_ID         (-5)  /* a token id outside the vocabulary                     */
#define CRAYON_E_UNSUPPORTED        (-6)  /* backend or feature not available on this machine      */
#define CRAYON_E_DISALLOWED_SPECIAL (-7)  /* special-token text found where it is not allowed      */
#define CRAYON_E_INVALID_UTF8       (-8)  /* the call needs UTF-8 text and was given other bytes   */
#define CRAYON_E_INTERNAL           (-99) /* a bug in the library; the message says what happened  */

/* Returned by buffer-filling functions (int64_t) when they fail. */
#define CRAYON_FAILED INT64_MIN

/* ---- Library -------------------------------------------------------------------- thread-safe */

/* Library version, e.g. "0.1.0". Static storage. */
CRAYON_API const char *crayon_version(void);

/* Message for this thread's most recent failure ("" if none). Owned by the library. */
CRAYON_API const char *crayon_last_error(void);

/* Status code (CRAYON_E_*) of this thread's most recent failure, CRAYON_OK if none. */
CRAYON_API int crayon_last_status(void);

/* ==== Crayon engine: profiles, longest-match tokenization (section owned by the engine) ======= */

/* ==== end of engine section ==================================================================== */


/* ==== BPE encodings, tiktoken-compatible (section owned by BPE) ================================ */

/* ==== end of BPE section ======================================================================= */


/* ==== BPE training, rustbpe-compatible (section owned by the trainer) ========================== */

/* ==== end of trainer section =================================================================== */

#ifdef __cplusplus
}
#endif

#endif /* CRAYON_H */
