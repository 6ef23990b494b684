//! Raw declarations of the engine section of `include/crayon.h` (plus the library functions).
//! One `extern "C"` item per C prototype, same names and argument order; the header is the
//! contract (return conventions, thread-safety) and is not repeated here.
#![allow(non_camel_case_types)]

use std::os::raw::{c_char, c_int, c_void};

pub const CRAYON_OK: c_int = 0;
pub const CRAYON_E_INVALID_ARGUMENT: c_int = -1;
pub const CRAYON_E_IO: c_int = -2;
pub const CRAYON_E_FORMAT: c_int = -3;
pub const CRAYON_E_NOT_FOUND: c_int = -4;
pub const CRAYON_E_UNKNOWN_ID: c_int = -5;
pub const CRAYON_E_UNSUPPORTED: c_int = -6;
pub const CRAYON_E_DISALLOWED_SPECIAL: c_int = -7;
pub const CRAYON_E_INVALID_UTF8: c_int = -8;
pub const CRAYON_E_INTERNAL: c_int = -99;

/// Returned by buffer-filling functions when they fail.
pub const CRAYON_FAILED: i64 = i64::MIN;

pub const CRAYON_PAD_ID: i32 = 0;
pub const CRAYON_UNK_ID: i32 = 1;
pub const CRAYON_BOS_ID: i32 = 2;
pub const CRAYON_EOS_ID: i32 = 3;
pub const CRAYON_BYTE_ID_BASE: i32 = 4;
pub const CRAYON_FIRST_LEARNED_ID: i32 = 260;

pub const CRAYON_BACKEND_CPU: u32 = 1 << 0;
pub const CRAYON_BACKEND_AVX2: u32 = 1 << 1;
pub const CRAYON_BACKEND_AVX512: u32 = 1 << 2;
pub const CRAYON_BACKEND_CUDA: u32 = 1 << 3;
pub const CRAYON_BACKEND_ROCM: u32 = 1 << 4;

pub const CRAYON_BORROW: u32 = 1 << 0;
pub const CRAYON_DAT_NFC: u32 = 1 << 0;

/// Opaque streaming learner handle (`typedef struct crayon_learner crayon_learner;`).
#[repr(C)]
pub struct crayon_learner {
    _private: [u8; 0],
}

/// Opaque tokenizer handle (`typedef struct crayon_vocab crayon_vocab;`).
#[repr(C)]
pub struct crayon_vocab {
    _private: [u8; 0],
}

pub type crayon_progress_fn = Option<unsafe extern "C" fn(user: *mut c_void, done: u64, total: u64) -> c_int>;

extern "C" {
    pub fn crayon_version() -> *const c_char;
    pub fn crayon_last_error() -> *const c_char;
    pub fn crayon_last_status() -> c_int;

    pub fn crayon_backends() -> u32;
    pub fn crayon_backend_report(out: *mut c_char, cap: usize) -> i64;

    pub fn crayon_vocab_create(device: *const c_char, out_vocab: *mut *mut crayon_vocab) -> c_int;
    pub fn crayon_load_dat(path: *const c_char, out_vocab: *mut *mut crayon_vocab) -> c_int;
    pub fn crayon_load_dat_buffer(data: *const c_void, len: usize, flags: u32, out_vocab: *mut *mut crayon_vocab) -> c_int;
    pub fn crayon_free(vocab: *mut crayon_vocab);

    pub fn crayon_set_profile(vocab: *mut crayon_vocab, name_or_path: *const c_char) -> c_int;
    pub fn crayon_list_profiles(out: *mut c_char, cap: usize) -> i64;
    pub fn crayon_profile_name(vocab: *const crayon_vocab, out: *mut c_char, cap: usize) -> i64;
    pub fn crayon_profile_info(vocab: *const crayon_vocab, out: *mut c_char, cap: usize) -> i64;
    pub fn crayon_vocab_size(vocab: *const crayon_vocab) -> i64;
    pub fn crayon_device(vocab: *const crayon_vocab, out: *mut c_char, cap: usize) -> i64;

    pub fn crayon_tokenize_bound(len: usize) -> usize;
    pub fn crayon_tokenize(vocab: *const crayon_vocab, text: *const c_char, len: usize, out: *mut i32, cap: usize) -> i64;
    pub fn crayon_tokenize_batch(
        vocab: *const crayon_vocab,
        texts: *const *const c_char,
        lens: *const usize,
        n: usize,
        out: *mut i32,
        cap: usize,
        offsets: *mut i64,
        threads: i32,
    ) -> i64;
    pub fn crayon_decode(vocab: *const crayon_vocab, ids: *const i32, n: usize, out: *mut c_char, cap: usize) -> i64;

    pub fn crayon_dat_build(
        tokens: *const *const c_char,
        lens: *const usize,
        n: usize,
        name: *const c_char,
        source: *const c_char,
        flags: u32,
        out_data: *mut *mut u8,
        out_len: *mut usize,
    ) -> c_int;
    pub fn crayon_vocab_learn(
        texts: *const *const c_char,
        lens: *const usize,
        n: usize,
        max_tokens: usize,
        max_token_bytes: usize,
        progress: crayon_progress_fn,
        user: *mut c_void,
        out_json: *mut *mut u8,
        out_len: *mut usize,
    ) -> c_int;
    pub fn crayon_learner_new(max_token_bytes: usize, out_learner: *mut *mut crayon_learner) -> c_int;
    pub fn crayon_learner_free(learner: *mut crayon_learner);
    pub fn crayon_learner_feed(
        learner: *mut crayon_learner,
        texts: *const *const c_char,
        lens: *const usize,
        n: usize,
    ) -> c_int;
    pub fn crayon_learner_learn(
        learner: *mut crayon_learner,
        base: *const crayon_vocab,
        max_tokens: usize,
        progress: crayon_progress_fn,
        user: *mut c_void,
        out_json: *mut *mut u8,
        out_len: *mut usize,
    ) -> c_int;
    pub fn crayon_learner_stats(learner: *const crayon_learner, out_documents: *mut u64, out_bytes: *mut u64) -> c_int;
    pub fn crayon_dat_extend(
        base: *const crayon_vocab,
        tokens: *const *const c_char,
        lens: *const usize,
        n: usize,
        name: *const c_char,
        source: *const c_char,
        out_data: *mut *mut u8,
        out_len: *mut usize,
    ) -> c_int;
    pub fn crayon_free_buffer(buffer: *mut c_void);
}
