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
/*
 * A crayon_vocab is a tokenizer with one active profile (a compiled vocabulary, ".dat").
 * Thread-safety: every function of this group may be called from any number of threads at once
 * on the same crayon_vocab, crayon_set_profile included: a call that has started keeps the profile
 * it started with, and the old profile is released when the last such call returns.
 * crayon_free must not race with other calls on the same handle.
 *
 * Token ids: fixed specials, then one id per byte value, then learned tokens in the
 * order of the vocabulary list (docs/engine.md). Specials are never produced from text; decoding one
 * gives its name ("<BOS>", ...).
 */
#define CRAYON_PAD_ID        0
#define CRAYON_UNK_ID        1   /* never produced: every byte has its own fallback token       */
#define CRAYON_BOS_ID        2
#define CRAYON_EOS_ID        3
#define CRAYON_BYTE_ID_BASE  4   /* byte value b has id CRAYON_BYTE_ID_BASE + b (4 .. 259)       */
#define CRAYON_FIRST_LEARNED_ID 260

typedef struct crayon_vocab crayon_vocab;

/* Backends present on this machine (bit flags). A GPU flag means the device opened and the embedded
 * kernels loaded on it (see "GPU devices" below). AVX2 / AVX512 mean the engine code in use runs them:
 * libcrayon.so loads, from its own folder, the build for the highest x86-64 level the CPU has
 * (libcrayon-x86-64.so, -x86-64-v3.so with AVX2, -x86-64-v4.so with AVX-512); the environment
 * variable CRAYON_ISA=x86-64|x86-64-v3|x86-64-v4, read when the library loads, caps the level. */
#define CRAYON_BACKEND_CPU    (1u << 0)
#define CRAYON_BACKEND_AVX2   (1u << 1)
#define CRAYON_BACKEND_AVX512 (1u << 2)
#define CRAYON_BACKEND_CUDA   (1u << 3)   /* libcuda.so.1 opens device 0 and loads the PTX     */
#define CRAYON_BACKEND_ROCM   (1u << 4)   /* an AMD GPU on an OpenCL platform builds the kernels */
#define CRAYON_BACKEND_OPENCL (1u << 5)   /* any OpenCL device builds the kernels (PoCL counts)  */
CRAYON_API uint32_t crayon_backends(void);

/* One line per backend: "name<TAB>yes|no<TAB>detail", e.g. "cuda\tno\tlibcuda.so.1 not found".
 * NUL-terminated; returns the length written (without the NUL), or minus the capacity needed
 * (NUL included), or CRAYON_FAILED. */
CRAYON_API int64_t crayon_backend_report(char *out, size_t cap);

/* A tokenizer with no profile yet. device: "auto", "cpu", "cuda", "rocm" or "opencl" (NULL = "auto").
 * An unavailable device is CRAYON_E_UNSUPPORTED, and the message says why and lists what is available.
 *
 * GPU devices. The library loads the drivers itself at run time (libcuda.so.1 for "cuda",
 * libOpenCL.so.1 for "rocm" = an AMD GPU on ROCm's OpenCL platform, and "opencl" = the first GPU of
 * any OpenCL platform, else any OpenCL device); nothing is linked, and a machine without them runs the
 * CPU path unchanged. On a GPU vocab crayon_tokenize and crayon_tokenize_batch run on the device
 * (ids identical to the CPU's); crayon_decode and everything else run on the CPU. The active profile's
 * trie is copied to the device once per profile and released on a switch or crayon_free. Calls on
 * one device are serialised (thread-safe, not concurrent). A device error at run time is
 * CRAYON_E_UNSUPPORTED with the driver's message.
 * A batch larger than one piece (64 MiB of text, less on devices under 2.5 GiB) is streamed in pieces,
 * two in flight: while one piece's kernels run, the next is copied in and the previous one's ids copied
 * out (two CUDA streams or OpenCL queues, from page-locked host staging buffers that the vocab keeps
 * and crayon_free releases).
 * "auto" (the rule): it runs on the CPU and opens no driver until a crayon_tokenize_batch call whose
 * texts total at least 4 MiB (opening them can cost half a second and tens of MB). That call picks
 * CUDA, then ROCm, then an OpenCL GPU (never an OpenCL CPU device such as PoCL), else the CPU, once
 * per vocab; from then on every batch of 4 MiB or more runs on that GPU, while smaller batches and
 * crayon_tokenize stay on the CPU. If the GPU fails at run time, that call is redone on the CPU (the
 * caller gets correct ids, not an error) and the vocab stays on the CPU from then on. crayon_device
 * reports "cpu" until a GPU is chosen. */
CRAYON_API int crayon_vocab_create(const char *device, crayon_vocab **out_vocab);

/* A tokenizer (device "auto") whose active profile is the .dat file at path, memory-mapped.
 * Loading reads the first page and the trie cells once (4 bytes a cell: a fraction of a millisecond
 * for 250k ids), not the token table or the rest: only the pages tokenizing touches become resident
 * besides the cells. No file, however hostile, can
 * make a later call read out of bounds, and every id a call returns decodes to exactly the bytes it
 * covered; a file whose trie and token table disagree makes the call that meets the disagreement fail
 * with CRAYON_E_FORMAT. Corruption that leaves the file consistent (say, a changed trie cell) loads
 * and tokenizes differently: crayon_vocab_verify / CRAYON_VERIFY check the whole file (checksum
 * included). docs/dat-format.md, "Guarantees". */
CRAYON_API int crayon_load_dat(const char *path, crayon_vocab **out_vocab);

/* Load flags. CRAYON_VERIFY: verify the whole file before accepting it (as crayon_vocab_verify). */
#define CRAYON_BORROW (1u << 0)
#define CRAYON_VERIFY (1u << 1)

/* crayon_load_dat with flags: 0 or CRAYON_VERIFY. */
CRAYON_API int crayon_load_dat_flags(const char *path, uint32_t flags, crayon_vocab **out_vocab);

/* Same, from a .dat image in memory. With CRAYON_BORROW the library reads the caller's bytes in
 * place (zero copy): they must stay valid and unchanged until the vocab is freed or switched to
 * another profile. Without it the library copies them. CRAYON_VERIFY as above. */
CRAYON_API int crayon_load_dat_buffer(const void *data, size_t len, uint32_t flags, crayon_vocab **out_vocab);

/* Full verification of the active profile: checksum (XXH3-64), every trie cell, and every token
 * against the trie path that produces it. CRAYON_OK, or CRAYON_E_FORMAT naming the first problem.
 * Reads the whole file (milliseconds for a 250k-id profile); afterwards tokenizing skips its
 * first-use checks. Thread-safe like the calls above. */
CRAYON_API int crayon_vocab_verify(crayon_vocab *vocab);

/* Releases the tokenizer. NULL is a no-op. */
CRAYON_API void crayon_free(crayon_vocab *vocab);

/* Makes a profile active. name_or_path: a profile name ("lite", "code", ...) resolved in the profile
 * directories, or a path to a .dat file (anything containing '/' or ending in ".dat").
 * Profile directories, in order: each entry of $CRAYON_PROFILE_DIR (':'-separated), then
 * <dir of libcrayon.so>/../profiles, <dir of libcrayon.so>/profiles, <dir of libcrayon.so>/../share/crayon/profiles. */
CRAYON_API int crayon_set_profile(crayon_vocab *vocab, const char *name_or_path);

/* Names of the profiles found in the profile directories, one per line, NUL-terminated.
 * Returns length / minus capacity needed / CRAYON_FAILED, like crayon_backend_report. */
CRAYON_API int64_t crayon_list_profiles(char *out, size_t cap);

/* Name of the active profile (NUL-terminated), same return convention. */
CRAYON_API int64_t crayon_profile_name(const crayon_vocab *vocab, char *out, size_t cap);

/* Metadata of the active profile as one JSON object (name, vocab_size, source, format_version,
 * bytes, checksum, verified (whether crayon_vocab_verify has passed), trie_nodes, max_token_bytes,
 * normalization: "nfc" or "none", path),
 * NUL-terminated, same return convention. */
CRAYON_API int64_t crayon_profile_info(const crayon_vocab *vocab, char *out, size_t cap);

/* Vocabulary size of the active profile (specials and byte tokens included), or CRAYON_FAILED. */
CRAYON_API int64_t crayon_vocab_size(const crayon_vocab *vocab);

/* The device this tokenizer runs on ("cpu", "cuda", "rocm", "opencl"), NUL-terminated, same return convention. */
CRAYON_API int64_t crayon_device(const crayon_vocab *vocab, char *out, size_t cap);

/* What this tokenizer's device has done, as one JSON object: "device", and on a GPU also
 * "description" (name, memory, driver), "device_bytes" (device memory this process holds on it),
 * "calls", "pieces", "tokens", "rounds" (chunk re-walk rounds), "kernel_seconds" / "copy_seconds"
 * (time the device spent in kernels and in host<->device copies by its own clock, from events, since
 * creation) and "wall_seconds" (the calls' wall time; kernel + copy seconds above it means copies ran
 * beside kernels). NUL-terminated, same return convention as crayon_backend_report. */
CRAYON_API int64_t crayon_device_stats(const crayon_vocab *vocab, char *out, size_t cap);

/* A capacity that crayon_tokenize always fits in for len input bytes: 3 * len (also valid per
 * document for the batch call, and for crayon_bpe_encode*). Every token covers at least one byte,
 * and an NFC profile (below) may lengthen the text up to 3 times; len itself is enough for
 * profiles without normalisation and for text that NFC does not lengthen, so callers that want
 * less memory can start with len and retry with the capacity a negative result names. */
CRAYON_API size_t crayon_tokenize_bound(size_t len);

/* Greedy longest-match tokenization of len bytes (any bytes: invalid UTF-8 is tokenized with the
 * byte tokens, so decode always gives the input back). Returns the number of ids written, minus the
 * capacity needed, or CRAYON_FAILED. text may be NULL only when len is 0.
 * With an NFC profile ("normalization": "nfc" in crayon_profile_info) the text is first put in
 * Unicode Normalization Form C, so decode gives NFC(text) back instead: valid UTF-8 is normalised,
 * invalid byte sequences pass through unchanged (and nothing combines across them). ASCII and
 * text that is already NFC are tokenized in place; other text through one normalised copy.
 * NFC profiles take at most 2^31 - 1 bytes per text (CRAYON_E_INVALID_ARGUMENT beyond). */
CRAYON_API int64_t crayon_tokenize(const crayon_vocab *vocab, const char *text, size_t len,
                                   int32_t *out, size_t cap);

/* n documents at once, spread over `threads` threads (<= 0: all cores); each document is tokenized on
 * its own (no match spans two documents). Ids are written
 * back to back into out; offsets (n + 1 entries, caller-owned) receive where each document starts,
 * offsets[n] = total. Returns the total number of ids, minus the capacity needed, or CRAYON_FAILED. */
CRAYON_API int64_t crayon_tokenize_batch(const crayon_vocab *vocab, const char *const *texts,
                                         const size_t *lens, size_t n, int32_t *out, size_t cap,
                                         int64_t *offsets, int32_t threads);

/* Bytes of the ids concatenated (not NUL-terminated). Returns bytes written, minus the capacity
 * needed, or CRAYON_FAILED (CRAYON_E_UNKNOWN_ID names the first bad id and its position). */
CRAYON_API int64_t crayon_decode(const crayon_vocab *vocab, const int32_t *ids, size_t n,
                                 char *out, size_t cap);

/* Compiles a vocabulary (n token strings, byte lengths in lens) into a .dat image. Empty and
 * duplicate entries are ignored; byte tokens and specials are added automatically; ids are assigned
 * deterministically (same list and flags, same bytes). name and source are stored as metadata.
 * flags: 0, or CRAYON_DAT_NFC for a profile that normalises text to NFC before matching (stored in
 * the .dat; each entry is put in NFC too, so a decomposed entry becomes its composed form, a
 * duplicate if that is listed already). Other bits are CRAYON_E_INVALID_ARGUMENT.
 * On success *out_data / *out_len receive a buffer the caller releases with crayon_free_buffer. */
#define CRAYON_DAT_NFC (1u << 0)
CRAYON_API int crayon_dat_build(const char *const *tokens, const size_t *lens, size_t n,
                                const char *name, const char *source, uint32_t flags,
                                uint8_t **out_data, size_t *out_len);

/* Learns a vocabulary for greedy longest match from sample texts (docs/learning.md): up to
 * max_tokens byte strings (learned tokens only: specials and byte tokens are always added), each
 * 2..max_token_bytes (<= 256; phrases are capped at 64) bytes long, that make greedy longest match
 * need the fewest tokens on the texts; tokens may span spaces and words. Fewer come back when the
 * text supports no more; empty texts give []. Invalid UTF-8 in the texts is skipped, never learned.
 * Deterministic for the same inputs. On success *out_json / *out_len receive a UTF-8 JSON array,
 * most used token first: a string per token that is valid UTF-8, {"bytes": "<base64>"} for a token
 * that is part of a character (the vocabulary list DATBuilder and `crayon build` take), released with
 * crayon_free_buffer. progress (may be NULL) is called now and then
 * with (user, done, total); a non-zero return cancels the call (CRAYON_E_INVALID_ARGUMENT,
 * "cancelled"). Thread-safe. */
typedef int (*crayon_progress_fn)(void *user, uint64_t done, uint64_t total);
CRAYON_API int crayon_vocab_learn(const char *const *texts, const size_t *lens, size_t n,
                                  size_t max_tokens, size_t max_token_bytes,
                                  crayon_progress_fn progress, void *user,
                                  uint8_t **out_json, size_t *out_len);

/* A learner fed as a stream (docs/learning.md): crayon_learner_feed counts the phrases of any number
 * of batches (the texts are not kept: memory follows the distinct text), crayon_learner_learn then
 * learns up to max_tokens tokens exactly as crayon_vocab_learn would from all the texts fed. With a
 * base vocab (not NULL) it learns max_tokens NEW tokens given every token of base's active profile,
 * which are all kept and not returned — feed the result to crayon_dat_extend. learn may be called
 * again (other sizes or bases). Output, progress and cancellation as crayon_vocab_learn.
 * crayon_learner_stats gives the documents and bytes fed (either pointer may be NULL).
 * Thread-safety: calls on one learner serialise; crayon_learner_free must not race with them. */
typedef struct crayon_learner crayon_learner;
CRAYON_API int crayon_learner_new(size_t max_token_bytes, crayon_learner **out_learner);
CRAYON_API void crayon_learner_free(crayon_learner *learner);
CRAYON_API int crayon_learner_feed(crayon_learner *learner, const char *const *texts, const size_t *lens, size_t n);
CRAYON_API int crayon_learner_learn(crayon_learner *learner, const crayon_vocab *base, size_t max_tokens,
                                    crayon_progress_fn progress, void *user, uint8_t **out_json, size_t *out_len);
CRAYON_API int crayon_learner_stats(const crayon_learner *learner, uint64_t *out_documents, uint64_t *out_bytes);

/* A .dat whose ids 0 .. vocab_size(base) - 1 are base's active profile's, unchanged, followed by the
 * given tokens in order (empty, one-byte and repeated entries, and entries equal to an existing
 * token, are skipped); the child keeps base's normalisation and records its lineage (vocab_version =
 * base's + 1, parent_checksum = base's checksum; crayon_profile_info shows both). Extending with list
 * A, then with list B, gives the same ids, tokens and bytes as extending once with A followed by B,
 * except the lineage fields and the checksum. Thread-safe; base stays usable. */
CRAYON_API int crayon_dat_extend(const crayon_vocab *base, const char *const *tokens, const size_t *lens, size_t n,
                                 const char *name, const char *source, uint8_t **out_data, size_t *out_len);

/* Releases a buffer returned by the library. NULL is a no-op. */
CRAYON_API void crayon_free_buffer(void *buffer);

/* ==== end of engine section ==================================================================== */


/* ==== BPE encodings, tiktoken-compatible (section owned by BPE) ================================ */
/*
 * A crayon_bpe is an immutable byte-level BPE encoding (ranks + split pattern + special tokens),
 * giving the same ids as tiktoken. Thread-safety: once loaded, every function of this group may be
 * called from any number of threads at once; crayon_bpe_free must not race with them.
 * Memory: each thread that encodes keeps ~10 MiB of caches (docs/bpe.md, Thread safety), released
 * after the thread ends.
 * Text inputs must be UTF-8 (CRAYON_E_INVALID_UTF8 otherwise).
 *
 * Special tokens are given as parallel arrays: special_names[i] (UTF-8, NUL-terminated) has id
 * special_ids[i].
 * The pattern selects the pre-tokenizer: the exact patterns of cl100k_base, o200k_base,
 * p50k/r50k/gpt2 and nanochat run on hand-written splitters; other patterns use the general path
 * documented in docs/bpe.md. NULL pattern is CRAYON_E_INVALID_ARGUMENT.
 */
typedef struct crayon_bpe crayon_bpe;

/* From a .tiktoken rank file (lines "base64(token) rank"). */
CRAYON_API int crayon_bpe_load(const char *tiktoken_path, const char *pattern,
                               const char *const *special_names, const int32_t *special_ids,
                               size_t n_special, crayon_bpe **out_bpe);

/* From the contents of a .tiktoken file in memory (copied). */
CRAYON_API int crayon_bpe_load_buffer(const void *tiktoken_data, size_t len, const char *pattern,
                                      const char *const *special_names, const int32_t *special_ids,
                                      size_t n_special, crayon_bpe **out_bpe);

/* From ranks in memory: token i is tokens[i] (token_lens[i] bytes) with rank ranks[i]. Duplicate
 * tokens or duplicate ranks are CRAYON_E_FORMAT.
 * For all three loaders: a bad rank file (bad base64, missing rank, empty token; the message names the
 * line), a special id equal to an ordinary rank, or duplicate special names/ids are CRAYON_E_FORMAT;
 * an unreadable file is CRAYON_E_IO; a pattern the general path cannot run is
 * CRAYON_E_INVALID_ARGUMENT. On failure *out_bpe is set to NULL. */
CRAYON_API int crayon_bpe_from_ranks(const char *const *tokens, const size_t *token_lens,
                                     const int32_t *ranks, size_t n, const char *pattern,
                                     const char *const *special_names, const int32_t *special_ids,
                                     size_t n_special, crayon_bpe **out_bpe);

CRAYON_API void crayon_bpe_free(crayon_bpe *bpe);

/* max(all ranks and special ids) + 1, or CRAYON_FAILED. */
CRAYON_API int64_t crayon_bpe_n_vocab(const crayon_bpe *bpe);

/* All text is ordinary text: special-token strings are split and merged like anything else. */
CRAYON_API int64_t crayon_bpe_encode_ordinary(const crayon_bpe *bpe, const char *text, size_t len,
                                              int32_t *out, size_t cap);

/* Special-token policy, as tiktoken's encode(allowed_special=..., disallowed_special=...):
 * a special token in `allowed` (or any, with CRAYON_ALLOW_ALL_SPECIAL) is emitted as its id;
 * a special token in `disallowed` (or any special not allowed, with CRAYON_DISALLOW_ALL_SPECIAL)
 * makes the call fail with CRAYON_E_DISALLOWED_SPECIAL naming the token; any other is plain text.
 * Python's default disallowed_special="all" is CRAYON_DISALLOW_ALL_SPECIAL. Names in `allowed` that
 * are not special tokens are ignored (as in tiktoken); names in `disallowed` must be special tokens
 * (CRAYON_E_INVALID_ARGUMENT). A token both allowed and disallowed is allowed. Unknown flag bits are
 * CRAYON_E_INVALID_ARGUMENT. */
#define CRAYON_ALLOW_ALL_SPECIAL    (1u << 0)
#define CRAYON_DISALLOW_ALL_SPECIAL (1u << 1)
CRAYON_API int64_t crayon_bpe_encode(const crayon_bpe *bpe, const char *text, size_t len,
                                     const char *const *allowed, size_t n_allowed,
                                     const char *const *disallowed, size_t n_disallowed,
                                     uint32_t flags, int32_t *out, size_t cap);

/* n documents with one policy, over `threads` threads (<= 0: all cores); out/offsets as in
 * crayon_tokenize_batch. With no lists and flags = 0 this is encode_ordinary for each document. */
CRAYON_API int64_t crayon_bpe_encode_batch(const crayon_bpe *bpe, const char *const *texts,
                                           const size_t *lens, size_t n,
                                           const char *const *allowed, size_t n_allowed,
                                           const char *const *disallowed, size_t n_disallowed,
                                           uint32_t flags, int32_t *out, size_t cap,
                                           int64_t *offsets, int32_t threads);

/* Bytes of the ids concatenated (specials included). Bytes written, minus capacity needed, or
 * CRAYON_FAILED (CRAYON_E_UNKNOWN_ID). */
CRAYON_API int64_t crayon_bpe_decode(const crayon_bpe *bpe, const int32_t *ids, size_t n,
                                     char *out, size_t cap);

/* The bytes of one token (ordinary or special). Same return convention as crayon_bpe_decode. */
CRAYON_API int64_t crayon_bpe_token_bytes(const crayon_bpe *bpe, int32_t id, char *out, size_t cap);

/* The id of a byte string that is exactly one token (ordinary or special): CRAYON_OK and *out_id,
 * or CRAYON_E_NOT_FOUND. */
CRAYON_API int crayon_bpe_encode_single_token(const crayon_bpe *bpe, const char *bytes, size_t len,
                                              int32_t *out_id);


/* ---- Hugging Face tokenizer.json (byte-level BPE) -------------------------------------------- */
/*
 * A crayon_hf is a tokenizer.json with a byte-level BPE model (GPT-2, RoBERTa, Llama-3, Qwen-2
 * style: ByteLevel or Split-regex + ByteLevel pre-tokenizers, added tokens with special / lstrip /
 * rstrip / normalized / single_word, TemplateProcessing / RobertaProcessing / ByteLevel
 * post-processors), encoded on the exact BPE engine with the ids Hugging Face tokenizers gives
 * (docs/hf-tokenizers.md). A file outside that is CRAYON_E_UNSUPPORTED with a message naming the
 * component; invalid JSON is CRAYON_E_FORMAT. Immutable: every call may run on any number of
 * threads at once; crayon_hf_free must not race with them.
 */
typedef struct crayon_hf crayon_hf;

/* From a tokenizer.json file (CRAYON_E_IO if unreadable) or from its bytes in memory. */
CRAYON_API int crayon_hf_load(const char *path, crayon_hf **out_hf);
CRAYON_API int crayon_hf_load_buffer(const void *json, size_t len, crayon_hf **out_hf);
CRAYON_API void crayon_hf_free(crayon_hf *hf);

/* Number of ids (the model's vocabulary plus the added tokens), or CRAYON_FAILED. */
CRAYON_API int64_t crayon_hf_vocab_size(const crayon_hf *hf);

/* Ids of text (valid UTF-8, else CRAYON_E_INVALID_UTF8), as HF's encode(text,
 * add_special_tokens): added tokens are always matched; add_special_tokens != 0 adds the
 * post-processor's BOS/EOS. Returns the count, minus the capacity needed, or CRAYON_FAILED (text that
 * HF would handle differently, such as a byte with no token, is CRAYON_E_UNSUPPORTED). */
CRAYON_API int64_t crayon_hf_encode(const crayon_hf *hf, const char *text, size_t len, int add_special_tokens,
                                    int32_t *out, size_t cap);

/* The UTF-8 bytes of ids, as HF's decode(ids, skip_special_tokens) before its final UTF-8 step (a
 * cut in the middle of a character stays cut); unknown ids are skipped, as HF does. Returns the byte
 * count, minus the capacity needed, or CRAYON_FAILED. */
CRAYON_API int64_t crayon_hf_decode(const crayon_hf *hf, const int32_t *ids, size_t n, int skip_special_tokens,
                                    char *out, size_t cap);

/* ==== end of BPE section ======================================================================= */


/* ==== BPE training, rustbpe-compatible (section owned by the trainer) ========================== */
/*
 * A crayon_trainer learns a byte-level BPE vocabulary with rustbpe's semantics:
 *   - text is split into chunks with the split pattern (NULL: the GPT-4 pattern with \p{N}{1,3});
 *     chunk occurrences are counted over every document fed (64-bit counts); each unique chunk
 *     becomes its UTF-8 bytes, ids 0..255;
 *   - each step merges the most frequent adjacent pair, ties going to the smaller (left id, right id);
 *     inside a chunk occurrences are merged left to right without overlap ("a a a" -> "X a");
 *     merge k creates id 256 + k; training stops early when no pair is left.
 * Documents are fed in batches and not kept: memory grows with the number of unique chunks only.
 * The trained vocabulary has ranks 0..255 = the single bytes, then one rank per merge, and encodes
 * exactly like tiktoken with those ranks and the same pattern.
 *
 * Thread-safety: crayon_trainer_feed and crayon_trainer_train may be called from several threads;
 * they serialize on the trainer. The query, encode and decode functions may run concurrently with
 * each other and see the vocabulary of the last completed train. crayon_trainer_free must not race
 * with any other call on the same trainer. Text inputs must be UTF-8 (CRAYON_E_INVALID_UTF8 otherwise).
 */
typedef struct crayon_trainer crayon_trainer;

/* A new trainer for the split pattern (UTF-8; NULL = GPT-4's). An invalid pattern, or one that
 * matches the empty string, is CRAYON_E_INVALID_ARGUMENT with the reason. */
CRAYON_API int crayon_trainer_new(const char *pattern, crayon_trainer **out_trainer);

/* A trainer holding a finished vocabulary: n tokens (token i has lens[i] bytes, rank i), e.g. read
 * from a .tiktoken file written by crayon_trainer_save_tiktoken. Ranks 0..255 must be the single
 * bytes 0..255 and every later token the merge of two earlier ones (CRAYON_E_FORMAT otherwise). */
CRAYON_API int crayon_trainer_from_ranks(const char *const *tokens, const size_t *lens, size_t n,
                                         const char *pattern, crayon_trainer **out_trainer);

/* Releases the trainer. NULL is a no-op. */
CRAYON_API void crayon_trainer_free(crayon_trainer *trainer);

/* Splits and counts n documents over `threads` threads (<= 0: all cores). The documents are not
 * kept. If any document is not UTF-8 the call fails with CRAYON_E_INVALID_UTF8 and counts nothing. */
CRAYON_API int crayon_trainer_feed(crayon_trainer *trainer, const char *const *texts,
                                   const size_t *lens, size_t n, int32_t threads);

/* Learns up to vocab_size - 256 merges from everything fed so far (vocab_size < 256 is
 * CRAYON_E_INVALID_ARGUMENT). May be called again with another size. progress (may be NULL) is called
 * with (user, merges done, merges asked) about 1000 times; a non-zero return cancels the call
 * (CRAYON_E_INVALID_ARGUMENT, "cancelled") and keeps the previous vocabulary. */
CRAYON_API int crayon_trainer_train(crayon_trainer *trainer, uint32_t vocab_size,
                                    crayon_progress_fn progress, void *user);

/* The pair count of each merge of the last train, in merge order (cap counts entries). Returns
 * entries written, minus the entries needed, or CRAYON_FAILED. */
CRAYON_API int64_t crayon_trainer_merge_counts(const crayon_trainer *trainer, int64_t *out, size_t cap);

/* Sets the id byte b takes when tied pairs are compared: order[b], a permutation of 0..255 (NULL
 * restores byte value order, rustbpe's). Only tie-breaking changes, and the merges reported still
 * use byte ids = byte values. For reproducing trainers that number bytes differently: Hugging
 * Face's numbers its byte alphabet by the code points of the characters standing in for bytes. */
CRAYON_API int crayon_trainer_set_byte_order(crayon_trainer *trainer, const uint8_t *order);

/* Number of tokens: 256 + merges learned (fewer than asked when training stopped early). */
CRAYON_API int64_t crayon_trainer_vocab_size(const crayon_trainer *trainer);

/* Number of unique chunks counted so far. */
CRAYON_API int64_t crayon_trainer_unique_chunks(const crayon_trainer *trainer);

/* The merges in order: merge k (id 256 + k) joined out_pairs[2k] and out_pairs[2k + 1]. cap counts
 * merges (out_pairs holds 2 * cap int32_t). Returns merges written, minus the merges needed, or
 * CRAYON_FAILED. */
CRAYON_API int64_t crayon_trainer_merges(const crayon_trainer *trainer, int32_t *out_pairs, size_t cap);

/* The mergeable ranks: the bytes of every token back to back in rank order into out (cap bytes),
 * and offsets[r] = where token r starts, offsets[vocab_size] = total (n_offsets must be at least
 * crayon_trainer_vocab_size() + 1, else CRAYON_E_INVALID_ARGUMENT). Returns bytes written, minus
 * the bytes needed, or CRAYON_FAILED. */
CRAYON_API int64_t crayon_trainer_token_bytes(const crayon_trainer *trainer, uint8_t *out, size_t cap,
                                              int64_t *offsets, size_t n_offsets);

/* The split pattern, NUL-terminated. Length written / minus capacity needed (NUL included) /
 * CRAYON_FAILED. */
CRAYON_API int64_t crayon_trainer_pattern(const crayon_trainer *trainer, char *out, size_t cap);

/* The chunks the trainer's pattern splits UTF-8 text into (what training counts and encoding merges
 * inside): chunk i is text[out_starts[i] .. out_ends[i]). Text no alternative matches is in no chunk.
 * Returns chunks written, minus the entries needed, or CRAYON_FAILED. */
CRAYON_API int64_t crayon_trainer_split(const crayon_trainer *trainer, const char *text, size_t len,
                                        int64_t *out_starts, int64_t *out_ends, size_t cap);

/* Writes the vocabulary as a .tiktoken rank file ("base64(token) rank" per line). */
CRAYON_API int crayon_trainer_save_tiktoken(const crayon_trainer *trainer, const char *path);

/* Encodes UTF-8 text with the trained vocabulary (tiktoken's algorithm; never more ids than bytes).
 * Returns ids written, minus capacity needed, or CRAYON_FAILED. */
CRAYON_API int64_t crayon_trainer_encode(const crayon_trainer *trainer, const char *text, size_t len,
                                         int32_t *out, size_t cap);

/* n documents over `threads` threads (<= 0: all cores); out/offsets as in crayon_tokenize_batch
 * (offsets has n + 1 entries). cap = total bytes is always enough. */
CRAYON_API int64_t crayon_trainer_encode_batch(const crayon_trainer *trainer, const char *const *texts,
                                               const size_t *lens, size_t n, int32_t *out, size_t cap,
                                               int64_t *offsets, int32_t threads);

/* Bytes of the ids concatenated. Bytes written, minus capacity needed, or CRAYON_FAILED
 * (CRAYON_E_UNKNOWN_ID names the first bad id and its position). */
CRAYON_API int64_t crayon_trainer_decode(const crayon_trainer *trainer, const int32_t *ids, size_t n,
                                         char *out, size_t cap);


/* ==== end of trainer section =================================================================== */

/* ==== Streaming: text in pieces, files into id shards (section owned by streaming) ============= */
/*
 * A crayon_stream is a tokenizer engine — the profile active on a crayon_vocab when the stream was
 * made (pinned: a later crayon_set_profile does not change it), or a crayon_bpe with a special-token
 * policy — plus one session over it. Feed text in pieces of any size (a piece may end inside a
 * character, a token, a pre-tokenizer run or a special token); take ids out as they become final;
 * finish ends the text. The ids are exactly those of crayon_tokenize / crayon_bpe_encode on the
 * whole text in one call (docs/streaming.md says why). After finish the next feed starts a new text.
 * The session holds only text whose ids are not final yet (normally a few hundred bytes at most);
 * text with no safe point for longer than max_pending (default 256 MiB; e.g. one whitespace run that
 * long) fails with CRAYON_E_UNSUPPORTED. A BPE stream needs UTF-8 (CRAYON_E_INVALID_UTF8, the message
 * gives the offset in the text); a disallowed special token fails as in crayon_bpe_encode. Ids taken
 * before such an error stay valid, but the stream is then failed: every later call repeats the error.
 * The vocab or bpe may be freed while the stream lives.
 * Thread-safety: feed/finish/take/ready/set_max_pending on one stream must not run concurrently;
 * separate streams are independent. crayon_stream_file uses only the engine and may run on several
 * threads at once; crayon_stream_free must not race with any call on the same stream.
 */
typedef struct crayon_stream crayon_stream;

/* A longest-match stream over vocab's active profile (NFC profiles normalise as crayon_tokenize). */
CRAYON_API int crayon_stream_new(const crayon_vocab *vocab, crayon_stream **out_stream);

/* A BPE stream with the special-token policy of crayon_bpe_encode (no lists and flags 0: ordinary). */
CRAYON_API int crayon_stream_new_bpe(const crayon_bpe *bpe, const char *const *allowed, size_t n_allowed,
                                     const char *const *disallowed, size_t n_disallowed, uint32_t flags,
                                     crayon_stream **out_stream);

CRAYON_API void crayon_stream_free(crayon_stream *stream);

/* Appends len bytes. Returns the number of ids ready to take, or CRAYON_FAILED. */
CRAYON_API int64_t crayon_stream_feed(crayon_stream *stream, const char *bytes, size_t len);

/* Ends the text: all its ids become ready. Returns the number ready, or CRAYON_FAILED. */
CRAYON_API int64_t crayon_stream_finish(crayon_stream *stream);

/* Moves up to cap ready ids into out, oldest first. Returns how many (0 when none), or CRAYON_FAILED. */
CRAYON_API int64_t crayon_stream_take(crayon_stream *stream, int32_t *out, size_t cap);

/* The number of ids ready to take, or CRAYON_FAILED. */
CRAYON_API int64_t crayon_stream_ready(const crayon_stream *stream);

/* The most bytes the session may hold waiting for a safe point (1 .. 2^31 - 1). */
CRAYON_API int crayon_stream_set_max_pending(crayon_stream *stream, uint64_t bytes);

/* Tokenizes the file input_path with the stream's engine, on `threads` threads (<= 0: all cores),
 * in bounded memory, into output_path: the ids as little-endian unsigned integers of id_bytes bytes
 * (2 or 4; 2 with ids above 65535 is CRAYON_E_INVALID_ARGUMENT, saying so), nothing else. With
 * doc_sep (0 < doc_sep_len <= 4096) the file is documents separated by those bytes, each tokenized on its
 * own; the separator itself is dropped and empty documents are skipped; otherwise the file is one
 * document. bos >= 0 is written before each document's ids (-1: none). index_path (NULL: none)
 * receives where each document starts (docs/streaming.md: "CRAYIDX1", id bytes, document count N,
 * id count, then N + 1 little-endian uint64 offsets). Both files are written to temporary files in
 * their directories, fsync'ed and renamed over the targets at the end; on any error or cancel they
 * are removed, so a file under the final name is always complete. progress (may be NULL) is called
 * on the calling thread with (user, bytes read, file size or 0); a non-zero return cancels
 * (CRAYON_E_INVALID_ARGUMENT, "cancelled"). out_documents / out_tokens (may be NULL) receive the
 * counts written (BOS ids included). */
CRAYON_API int crayon_stream_file(const crayon_stream *stream, const char *input_path, const char *output_path,
                                  const char *index_path, uint32_t id_bytes, const char *doc_sep,
                                  size_t doc_sep_len, int64_t bos, int32_t threads,
                                  crayon_progress_fn progress, void *user,
                                  uint64_t *out_documents, uint64_t *out_tokens);

/* ==== end of streaming section ================================================================= */

#ifdef __cplusplus
}
#endif

#endif /* CRAYON_H */
