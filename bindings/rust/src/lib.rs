//! Rust bindings to libcrayon (Crayon.NET's C ABI, `include/crayon.h`).
//!
//! [`sys`] holds the raw `extern "C"` declarations of the engine section; the rest of this
//! crate is a thin safe layer: [`Vocab`] owns one `crayon_vocab` and frees it on drop, every
//! failure is an [`Error`] carrying the library's status and its per-thread message.
//!
//! ```no_run
//! let vocab = crayon::Vocab::with_profile("lite")?;
//! let ids = vocab.tokenize("Hello, crayons!")?;
//! assert_eq!(vocab.decode(&ids)?, b"Hello, crayons!");
//! # Ok::<(), crayon::Error>(())
//! ```

pub mod sys;

use std::ffi::{CStr, CString};
use std::fmt;
use std::os::raw::{c_char, c_int, c_void};
use std::os::unix::ffi::OsStrExt;
use std::path::Path;
use std::ptr::{self, NonNull};

/// What kind of failure the library reported (its `CRAYON_E_*` status).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    InvalidArgument,
    Io,
    Format,
    NotFound,
    UnknownId,
    Unsupported,
    DisallowedSpecial,
    InvalidUtf8,
    Internal,
    /// A status this crate does not know (a newer library).
    Other(i32),
}

impl ErrorKind {
    fn from_status(status: c_int) -> Self {
        match status {
            sys::CRAYON_E_INVALID_ARGUMENT => Self::InvalidArgument,
            sys::CRAYON_E_IO => Self::Io,
            sys::CRAYON_E_FORMAT => Self::Format,
            sys::CRAYON_E_NOT_FOUND => Self::NotFound,
            sys::CRAYON_E_UNKNOWN_ID => Self::UnknownId,
            sys::CRAYON_E_UNSUPPORTED => Self::Unsupported,
            sys::CRAYON_E_DISALLOWED_SPECIAL => Self::DisallowedSpecial,
            sys::CRAYON_E_INVALID_UTF8 => Self::InvalidUtf8,
            sys::CRAYON_E_INTERNAL => Self::Internal,
            other => Self::Other(other),
        }
    }
}

/// A failed call: the status code and the message of `crayon_last_error()`, copied at once
/// (the library's copy is only valid until this thread's next failing call).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error {
    status: i32,
    message: String,
}

impl Error {
    /// The calling thread's most recent library failure.
    fn last() -> Self {
        // SAFETY: both functions take no arguments; the message is a NUL-terminated string the
        // library keeps valid until this thread's next failing call, and it is copied here.
        let (status, message) = unsafe {
            let msg = sys::crayon_last_error();
            let text = if msg.is_null() { String::new() } else { CStr::from_ptr(msg).to_string_lossy().into_owned() };
            (sys::crayon_last_status(), text)
        };
        // A failure must never read as success, even if the library forgot to set a status.
        let status = if status == sys::CRAYON_OK { sys::CRAYON_E_INTERNAL } else { status };
        Error { status, message }
    }

    /// An argument this crate rejects before calling the library (e.g. a NUL inside a name).
    fn invalid_argument(message: impl Into<String>) -> Self {
        Error { status: sys::CRAYON_E_INVALID_ARGUMENT, message: message.into() }
    }

    /// The raw `CRAYON_E_*` status.
    pub fn status(&self) -> i32 {
        self.status
    }

    pub fn kind(&self) -> ErrorKind {
        ErrorKind::from_status(self.status)
    }

    pub fn message(&self) -> &str {
        &self.message
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "crayon: {} ({:?})", self.message, self.kind())
    }
}

impl std::error::Error for Error {}

pub type Result<T> = std::result::Result<T, Error>;

/// Status-returning calls: CRAYON_OK or an error.
fn check(status: c_int) -> Result<()> {
    if status == sys::CRAYON_OK { Ok(()) } else { Err(Error::last()) }
}

/// Buffer-filling calls: `Ok(Ok(count))`, `Ok(Err(needed))` for "-needed", or the failure.
fn check_count(r: i64) -> Result<std::result::Result<usize, usize>> {
    match r {
        sys::CRAYON_FAILED => Err(Error::last()),
        n if n >= 0 => Ok(Ok(n as usize)),
        n => Ok(Err(n.unsigned_abs() as usize)),
    }
}

/// Runs a NUL-terminated-string filler, growing the buffer to the "-needed" capacity.
fn fill_string(mut fill: impl FnMut(*mut c_char, usize) -> i64) -> Result<String> {
    let mut buf = vec![0u8; 128];
    loop {
        match check_count(fill(buf.as_mut_ptr().cast(), buf.len()))? {
            Ok(n) => {
                buf.truncate(n); // the count excludes the NUL
                return Ok(String::from_utf8_lossy(&buf).into_owned());
            }
            Err(needed) => buf.resize(needed, 0),
        }
    }
}

fn c_string(s: &str, what: &str) -> Result<CString> {
    CString::new(s).map_err(|_| Error::invalid_argument(format!("{what} contains a NUL byte")))
}

/// Library version, e.g. "0.1.0".
pub fn version() -> &'static str {
    // SAFETY: static storage in the library, NUL-terminated, never freed.
    unsafe { CStr::from_ptr(sys::crayon_version()) }.to_str().unwrap_or("")
}

/// Backends present on this machine (`sys::CRAYON_BACKEND_*` bit flags).
pub fn backends() -> u32 {
    // SAFETY: no arguments.
    unsafe { sys::crayon_backends() }
}

/// One line per backend: "name\tyes|no\tdetail".
pub fn backend_report() -> Result<String> {
    // SAFETY: the library writes at most `cap` bytes into `out`.
    fill_string(|out, cap| unsafe { sys::crayon_backend_report(out, cap) })
}

/// Profile names found in the profile directories ($CRAYON_PROFILE_DIR first).
pub fn list_profiles() -> Result<Vec<String>> {
    // SAFETY: as in backend_report.
    let text = fill_string(|out, cap| unsafe { sys::crayon_list_profiles(out, cap) })?;
    Ok(text.lines().filter(|l| !l.is_empty()).map(str::to_owned).collect())
}

/// A capacity `Vocab::tokenize` always fits in for `len` input bytes (3 * len: an NFC profile may
/// lengthen text up to 3 times; `len` is enough otherwise).
pub fn tokenize_bound(len: usize) -> usize {
    // SAFETY: pure function of its argument.
    unsafe { sys::crayon_tokenize_bound(len) }
}

/// What a profile does to text before matching (stored in its .dat; `crayon_dat_build`'s flags).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Normalization {
    /// Bytes are matched as given: decode(tokenize(x)) == x.
    None,
    /// Text is put in Unicode NFC first: decode(tokenize(x)) == NFC(x) (invalid UTF-8 passes through).
    Nfc,
}

/// Compiles a vocabulary list into a .dat image (see `crayon_dat_build`). The library's buffer
/// is copied into the returned Vec and released with `crayon_free_buffer`.
pub fn dat_build<T: AsRef<[u8]>>(tokens: &[T], name: &str, source: &str, normalization: Normalization) -> Result<Vec<u8>> {
    let ptrs: Vec<*const c_char> = tokens.iter().map(|t| t.as_ref().as_ptr().cast()).collect();
    let lens: Vec<usize> = tokens.iter().map(|t| t.as_ref().len()).collect();
    let name = c_string(name, "name")?;
    let source = c_string(source, "source")?;
    let mut data: *mut u8 = ptr::null_mut();
    let mut len = 0usize;
    // SAFETY: ptrs/lens are parallel arrays of `tokens.len()` entries that outlive the call.
    check(unsafe {
        let flags = match normalization {
            Normalization::None => 0,
            Normalization::Nfc => sys::CRAYON_DAT_NFC,
        };
        sys::crayon_dat_build(ptrs.as_ptr(), lens.as_ptr(), tokens.len(), name.as_ptr(), source.as_ptr(), flags, &mut data, &mut len)
    })?;
    // SAFETY: on success the library handed us `len` bytes at `data`, ours to free once.
    let image = unsafe { std::slice::from_raw_parts(data, len) }.to_vec();
    unsafe { sys::crayon_free_buffer(data.cast::<c_void>()) };
    Ok(image)
}

/// A tokenizer with one active profile. Shareable across threads (`&Vocab` is `Sync`): the C
/// library allows every call, `set_profile` included, on one handle from many threads at once;
/// only freeing must not race, which `Drop` (needing ownership) guarantees.
pub struct Vocab {
    raw: NonNull<sys::crayon_vocab>,
}

// SAFETY: see the type's documentation and the thread-safety note in crayon.h.
unsafe impl Send for Vocab {}
unsafe impl Sync for Vocab {}

impl Vocab {
    fn adopt(create: impl FnOnce(*mut *mut sys::crayon_vocab) -> c_int) -> Result<Self> {
        let mut raw = ptr::null_mut();
        check(create(&mut raw))?;
        NonNull::new(raw).map(|raw| Vocab { raw }).ok_or_else(|| Error::invalid_argument("library returned a NULL vocab"))
    }

    /// A tokenizer with no profile yet on `device` ("auto", "cpu", "cuda", "rocm").
    pub fn new(device: &str) -> Result<Self> {
        let device = c_string(device, "device")?;
        // SAFETY: valid C string and out pointer.
        Self::adopt(|out| unsafe { sys::crayon_vocab_create(device.as_ptr(), out) })
    }

    /// A tokenizer (device "auto") with a profile name ("lite", "code", ...) or a .dat path.
    pub fn with_profile(name_or_path: &str) -> Result<Self> {
        let vocab = Self::new("auto")?;
        vocab.set_profile(name_or_path)?;
        Ok(vocab)
    }

    /// A tokenizer whose profile is the .dat file at `path` (memory-mapped).
    pub fn load_dat(path: impl AsRef<Path>) -> Result<Self> {
        let path = CString::new(path.as_ref().as_os_str().as_bytes())
            .map_err(|_| Error::invalid_argument("path contains a NUL byte"))?;
        // SAFETY: valid C string and out pointer.
        Self::adopt(|out| unsafe { sys::crayon_load_dat(path.as_ptr(), out) })
    }

    /// A tokenizer from a .dat image in memory. The library copies the bytes (flags = 0), so
    /// `data` may be dropped afterwards.
    pub fn from_dat_bytes(data: &[u8]) -> Result<Self> {
        // SAFETY: `len` bytes at `data` are readable for the call; without CRAYON_BORROW they are copied.
        Self::adopt(|out| unsafe { sys::crayon_load_dat_buffer(data.as_ptr().cast(), data.len(), 0, out) })
    }

    /// The raw handle, for calls this crate does not wrap. It stays owned by `self`.
    pub fn as_ptr(&self) -> *mut sys::crayon_vocab {
        self.raw.as_ptr()
    }

    /// Makes a profile active (atomic: calls already running finish with the old one).
    pub fn set_profile(&self, name_or_path: &str) -> Result<()> {
        let name = c_string(name_or_path, "profile name")?;
        // SAFETY: live handle; crayon.h allows this concurrently with other calls on the handle.
        check(unsafe { sys::crayon_set_profile(self.raw.as_ptr(), name.as_ptr()) })
    }

    pub fn profile_name(&self) -> Result<String> {
        // SAFETY: live handle; the library writes at most `cap` bytes.
        fill_string(|out, cap| unsafe { sys::crayon_profile_name(self.raw.as_ptr(), out, cap) })
    }

    /// Metadata of the active profile as one JSON object (with "normalization": "nfc" or "none").
    pub fn profile_info(&self) -> Result<String> {
        // SAFETY: as in profile_name.
        fill_string(|out, cap| unsafe { sys::crayon_profile_info(self.raw.as_ptr(), out, cap) })
    }

    pub fn device(&self) -> Result<String> {
        // SAFETY: as in profile_name.
        fill_string(|out, cap| unsafe { sys::crayon_device(self.raw.as_ptr(), out, cap) })
    }

    /// Vocabulary size of the active profile (specials and byte tokens included).
    pub fn vocab_size(&self) -> Result<usize> {
        // SAFETY: live handle.
        let n = unsafe { sys::crayon_vocab_size(self.raw.as_ptr()) };
        if n < 0 { Err(Error::last()) } else { Ok(n as usize) }
    }

    /// Greedy longest-match ids of `text` (any bytes; invalid UTF-8 uses the byte tokens), after
    /// NFC on an NFC profile.
    pub fn tokenize(&self, text: impl AsRef<[u8]>) -> Result<Vec<i32>> {
        let text = text.as_ref();
        // One id per byte is enough unless NFC lengthens the text; then the call names the size.
        let mut ids = vec![0i32; text.len()];
        loop {
            // SAFETY: `text` is readable for its length; `ids` writable for its length.
            let r = unsafe { sys::crayon_tokenize(self.raw.as_ptr(), text.as_ptr().cast(), text.len(), ids.as_mut_ptr(), ids.len()) };
            match check_count(r)? {
                Ok(n) => {
                    ids.truncate(n);
                    return Ok(ids);
                }
                Err(needed) => ids.resize(needed, 0),
            }
        }
    }

    /// Tokenizes every document in one native call over `threads` threads (<= 0: all cores).
    pub fn tokenize_batch<T: AsRef<[u8]>>(&self, texts: &[T], threads: i32) -> Result<Batch> {
        let ptrs: Vec<*const c_char> = texts.iter().map(|t| t.as_ref().as_ptr().cast()).collect();
        let lens: Vec<usize> = texts.iter().map(|t| t.as_ref().len()).collect();
        // The byte total, as in tokenize: enough unless NFC lengthens the text (then: resize, retry).
        let cap = lens.iter().try_fold(0usize, |acc, &len| acc.checked_add(len)).ok_or_else(|| Error::invalid_argument("batch too large"))?;
        let mut ids = vec![0i32; cap];
        let mut offsets = vec![0i64; texts.len() + 1];
        loop {
            // SAFETY: ptrs/lens are parallel arrays of texts.len() entries; ids holds ids.len()
            // entries; offsets holds n + 1.
            let r = unsafe {
                sys::crayon_tokenize_batch(self.raw.as_ptr(), ptrs.as_ptr(), lens.as_ptr(), texts.len(), ids.as_mut_ptr(), ids.len(), offsets.as_mut_ptr(), threads)
            };
            match check_count(r)? {
                Ok(n) => {
                    ids.truncate(n);
                    return Ok(Batch { ids, offsets });
                }
                Err(needed) => ids.resize(needed, 0),
            }
        }
    }

    /// The bytes of `ids` concatenated. Unknown ids are an `ErrorKind::UnknownId` error.
    pub fn decode(&self, ids: &[i32]) -> Result<Vec<u8>> {
        // The size is not known in advance: guess, then retry once with the "-needed" capacity.
        let mut out = vec![0u8; ids.len().saturating_mul(4).max(16)];
        loop {
            // SAFETY: ids readable for its length; out writable for its length.
            let r = unsafe { sys::crayon_decode(self.raw.as_ptr(), ids.as_ptr(), ids.len(), out.as_mut_ptr().cast(), out.len()) };
            match check_count(r)? {
                Ok(n) => {
                    out.truncate(n);
                    return Ok(out);
                }
                Err(needed) => out.resize(needed, 0),
            }
        }
    }
}

impl Drop for Vocab {
    fn drop(&mut self) {
        // SAFETY: we own the handle; `&mut self` means no other call on it is running.
        unsafe { sys::crayon_free(self.raw.as_ptr()) }
    }
}

impl fmt::Debug for Vocab {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Vocab").field("profile", &self.profile_name().unwrap_or_default()).finish()
    }
}

/// The result of `Vocab::tokenize_batch`: all ids back to back, and where each document starts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Batch {
    ids: Vec<i32>,
    offsets: Vec<i64>,
}

impl Batch {
    /// Number of documents.
    pub fn len(&self) -> usize {
        self.offsets.len() - 1
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The ids of document `i`.
    pub fn get(&self, i: usize) -> Option<&[i32]> {
        let start = *self.offsets.get(i)? as usize;
        let end = *self.offsets.get(i + 1)? as usize;
        self.ids.get(start..end)
    }

    pub fn iter(&self) -> impl Iterator<Item = &[i32]> + '_ {
        self.offsets.windows(2).map(|w| &self.ids[w[0] as usize..w[1] as usize])
    }

    /// All ids, document after document.
    pub fn ids(&self) -> &[i32] {
        &self.ids
    }

    /// `len() + 1` entries: document i is `ids()[offsets[i]..offsets[i + 1]]`.
    pub fn offsets(&self) -> &[i64] {
        &self.offsets
    }
}
