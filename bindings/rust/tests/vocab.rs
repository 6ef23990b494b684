//! The safe wrapper and the raw ABI against the real libcrayon.so and the shipped profiles
//! (`make native profiles`; names resolve to <dir of libcrayon.so>/../profiles).
use crayon::{sys, ErrorKind, Normalization, Vocab};
use std::ptr;

/// Texts that exercise every path: ASCII, code, multi-byte UTF-8, emoji, invalid UTF-8, empty.
fn samples() -> Vec<Vec<u8>> {
    vec![
        b"The quick brown fox jumps over the lazy dog.".to_vec(),
        b"for (int i = 0; i < n; i++) { total += values[i]; }\n\treturn total;".to_vec(),
        "Gr\u{f6}\u{df}e, na\u{ef}ve caf\u{e9} \u{2014} \u{6771}\u{4eac} \u{1f58d}\u{fe0f}".as_bytes().to_vec(),
        vec![0xff, b'a', 0xc3, 0x28, 0x80, b' ', 0xf0, 0x9f, 0x92], // invalid and truncated sequences
        Vec::new(),
        " ".repeat(300).into_bytes(),
    ]
}

#[test]
fn tokenize_then_decode_gives_the_input_back_with_both_profiles() {
    for profile in ["lite", "code"] {
        let vocab = Vocab::with_profile(profile).expect("shipped profile loads (run `make profiles`)");
        assert_eq!(vocab.profile_name().unwrap(), profile);
        let size = vocab.vocab_size().unwrap();
        for text in samples() {
            let ids = vocab.tokenize(&text).unwrap();
            assert!(ids.len() <= crayon::tokenize_bound(text.len()));
            assert!(ids.iter().all(|&id| id >= 0 && (id as usize) < size));
            assert_eq!(vocab.decode(&ids).unwrap(), text, "profile {profile}");
        }
    }
}

#[test]
fn a_vocabulary_built_in_memory_matches_whole_words_longest_first() {
    let image = crayon::dat_build(&["hello", " world", " wor"], "tiny", "test", Normalization::None).unwrap();
    let vocab = Vocab::from_dat_bytes(&image).unwrap();
    drop(image); // copied by the library
    let ids = vocab.tokenize("hello world").unwrap();
    assert_eq!(ids.len(), 2, "longest match takes \" world\", not \" wor\"");
    assert!(ids.iter().all(|&id| id >= sys::CRAYON_FIRST_LEARNED_ID));
    assert_eq!(vocab.decode(&ids[..1]).unwrap(), b"hello");
    assert_eq!(vocab.decode(&ids[1..]).unwrap(), b" world");
    // A byte no token covers falls back to its byte token.
    assert_eq!(vocab.tokenize("!").unwrap(), vec![sys::CRAYON_BYTE_ID_BASE + b'!' as i32]);
    assert_eq!(vocab.profile_name().unwrap(), "tiny");
}

#[test]
fn an_nfc_profile_tokenizes_decomposed_text_as_composed_and_decodes_nfc() {
    let words = ["caf\u{e9}", "\u{c5}ngstr\u{f6}m"];
    let nfc = Vocab::from_dat_bytes(&crayon::dat_build(&words, "nfc", "test", Normalization::Nfc).unwrap()).unwrap();
    let plain = Vocab::from_dat_bytes(&crayon::dat_build(&words, "plain", "test", Normalization::None).unwrap()).unwrap();
    assert!(nfc.profile_info().unwrap().contains("\"normalization\":\"nfc\""));
    assert!(plain.profile_info().unwrap().contains("\"normalization\":\"none\""));
    let decomposed = "cafe\u{301} \u{212b}ngstro\u{308}m";
    let ids = nfc.tokenize(decomposed).unwrap();
    assert_eq!(ids, nfc.tokenize("caf\u{e9} \u{c5}ngstr\u{f6}m").unwrap());
    assert_eq!(nfc.decode(&ids).unwrap(), "caf\u{e9} \u{c5}ngstr\u{f6}m".as_bytes());
    assert_eq!(plain.decode(&plain.tokenize(decomposed).unwrap()).unwrap(), decomposed.as_bytes());
    // NFC lengthens U+1D160 from 4 bytes to 12: more ids than bytes, still within the bound.
    let long = "\u{1d160}".repeat(10);
    let ids = nfc.tokenize(&long).unwrap();
    assert_eq!(ids.len(), 120);
    assert!(ids.len() <= crayon::tokenize_bound(long.len()));
    let batch = nfc.tokenize_batch(&[long.as_str(), decomposed], 2).unwrap();
    assert_eq!(batch.get(0).unwrap(), &ids[..]);
    assert_eq!(batch.get(1).unwrap(), &nfc.tokenize(decomposed).unwrap()[..]);
}

#[test]
fn load_dat_reads_a_file_and_reports_missing_or_corrupt_ones() {
    let dir = std::path::PathBuf::from(env!("CARGO_TARGET_TMPDIR"));
    let path = dir.join("rust-binding-test.dat");
    std::fs::write(&path, crayon::dat_build(&["abc"], "file", "test", Normalization::None).unwrap()).unwrap();
    let vocab = Vocab::load_dat(&path).unwrap();
    assert_eq!(vocab.tokenize("abc").unwrap().len(), 1);

    let missing = Vocab::load_dat(dir.join("no-such-file.dat")).unwrap_err();
    assert_eq!(missing.kind(), ErrorKind::Io, "{missing}");
    let corrupt = Vocab::from_dat_bytes(b"this is not a dat image").unwrap_err();
    assert_eq!(corrupt.kind(), ErrorKind::Format, "{corrupt}");
    assert!(!corrupt.message().is_empty());
}

#[test]
fn unknown_ids_are_errors_that_name_the_id() {
    let vocab = Vocab::with_profile("lite").unwrap();
    let size = vocab.vocab_size().unwrap() as i32;
    for bad in [size, size + 1000, -1, i32::MIN] {
        let err = vocab.decode(&[sys::CRAYON_BOS_ID, bad]).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::UnknownId);
        assert_eq!(err.status(), sys::CRAYON_E_UNKNOWN_ID);
        assert!(err.message().contains(&bad.to_string()), "{}", err.message());
    }
    // The last valid id still decodes.
    assert!(vocab.decode(&[size - 1]).is_ok());
}

#[test]
fn a_failed_profile_switch_keeps_the_old_profile() {
    let vocab = Vocab::with_profile("lite").unwrap();
    let before = vocab.tokenize("keep the old profile").unwrap();
    let err = vocab.set_profile("no-such-profile").unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NotFound);
    assert!(err.message().contains("no-such-profile"), "{}", err.message());
    assert_eq!(vocab.profile_name().unwrap(), "lite");
    assert_eq!(vocab.tokenize("keep the old profile").unwrap(), before);

    let nul = vocab.set_profile("li\0te").unwrap_err();
    assert_eq!(nul.kind(), ErrorKind::InvalidArgument);
    let device = Vocab::new("no-such-device").unwrap_err();
    assert!(matches!(device.kind(), ErrorKind::Unsupported | ErrorKind::InvalidArgument), "{device}");
}

#[test]
fn list_profiles_includes_the_shipped_ones() {
    let names = crayon::list_profiles().unwrap();
    assert!(names.iter().any(|n| n == "lite") && names.iter().any(|n| n == "code"), "{names:?}");
    assert!(crayon::backends() & sys::CRAYON_BACKEND_CPU != 0);
    assert!(crayon::backend_report().unwrap().lines().any(|l| l.starts_with("cpu\tyes")));
}

#[test]
fn raw_calls_with_null_or_foreign_handles_fail_cleanly() {
    let mut ids = [0i32; 8];
    let mut text_out = [0u8; 8];
    unsafe {
        // NULL handle.
        assert_eq!(sys::crayon_tokenize(ptr::null(), b"a".as_ptr().cast(), 1, ids.as_mut_ptr(), 8), sys::CRAYON_FAILED);
        assert_eq!(sys::crayon_last_status(), sys::CRAYON_E_INVALID_ARGUMENT);
        assert_eq!(sys::crayon_vocab_size(ptr::null()), sys::CRAYON_FAILED);
        // A pointer that was never a handle is reported, not dereferenced.
        let foreign = 0x1000 as *const sys::crayon_vocab;
        assert_eq!(sys::crayon_decode(foreign, ids.as_ptr(), 1, text_out.as_mut_ptr().cast(), 8), sys::CRAYON_FAILED);
        assert_eq!(sys::crayon_last_status(), sys::CRAYON_E_INVALID_ARGUMENT);
        // NULL out pointer for a constructor.
        assert_eq!(sys::crayon_vocab_create(ptr::null(), ptr::null_mut()), sys::CRAYON_E_INVALID_ARGUMENT);
        sys::crayon_free(ptr::null_mut()); // documented no-op
    }

    let vocab = Vocab::with_profile("lite").unwrap();
    let h = vocab.as_ptr();
    unsafe {
        // NULL text with a non-zero length, NULL ids with n > 0.
        assert_eq!(sys::crayon_tokenize(h, ptr::null(), 3, ids.as_mut_ptr(), 8), sys::CRAYON_FAILED);
        assert_eq!(sys::crayon_last_status(), sys::CRAYON_E_INVALID_ARGUMENT);
        assert_eq!(sys::crayon_decode(h, ptr::null(), 2, text_out.as_mut_ptr().cast(), 8), sys::CRAYON_FAILED);
        assert_eq!(sys::crayon_last_status(), sys::CRAYON_E_INVALID_ARGUMENT);
        // Too small a buffer: minus the capacity needed, never more than the bound.
        let text = "a sentence long enough to need more than one id";
        let r = sys::crayon_tokenize(h, text.as_ptr().cast(), text.len(), ids.as_mut_ptr(), 0);
        assert!(r < 0 && r != sys::CRAYON_FAILED, "{r}");
        assert!((-r) as usize <= crayon::tokenize_bound(text.len()));
        assert_eq!((-r) as usize, vocab.tokenize(text).unwrap().len());
    }
}

#[test]
fn batch_equals_one_call_per_document_for_any_thread_count() {
    let vocab = Vocab::with_profile("code").unwrap();
    let mut docs = samples();
    for i in 0..50 {
        docs.push(format!("let x{i} = compute({i}, \"value {i}\");\n").repeat(i % 7 + 1).into_bytes());
    }
    let expected: Vec<Vec<i32>> = docs.iter().map(|d| vocab.tokenize(d).unwrap()).collect();
    for threads in [0, 1, 2, 5] {
        let batch = vocab.tokenize_batch(&docs, threads).unwrap();
        assert_eq!(batch.len(), docs.len());
        assert_eq!(batch.offsets()[0], 0);
        assert_eq!(*batch.offsets().last().unwrap() as usize, batch.ids().len());
        for (i, want) in expected.iter().enumerate() {
            assert_eq!(batch.get(i).unwrap(), want.as_slice(), "doc {i}, threads {threads}");
        }
        assert_eq!(batch.iter().count(), docs.len());
    }
    let empty = vocab.tokenize_batch::<&[u8]>(&[], 0).unwrap();
    assert!(empty.is_empty() && empty.ids().is_empty());
}

#[test]
fn one_vocab_is_shared_by_threads_while_the_profile_switches() {
    let vocab = Vocab::with_profile("lite").unwrap();
    let text = "Shared across threads: every result is one profile's output.";
    let (lite_vocab, code_vocab) = (Vocab::with_profile("lite").unwrap(), Vocab::with_profile("code").unwrap());
    let lite = lite_vocab.tokenize(text).unwrap();
    let code = code_vocab.tokenize(text).unwrap();
    std::thread::scope(|s| {
        for _ in 0..3 {
            s.spawn(|| {
                for _ in 0..200 {
                    let ids = vocab.tokenize(text).unwrap();
                    assert!(ids == lite || ids == code);
                    // Decode with the profile that made them: the shared vocab may have switched since.
                    let maker = if ids == lite { &lite_vocab } else { &code_vocab };
                    assert_eq!(maker.decode(&ids).unwrap(), text.as_bytes());
                }
            });
        }
        s.spawn(|| {
            for i in 0..50 {
                vocab.set_profile(if i % 2 == 0 { "code" } else { "lite" }).unwrap();
            }
        });
    });
}

#[test]
fn a_vocab_without_a_profile_reports_it_instead_of_tokenizing() {
    let vocab = Vocab::new("cpu").unwrap();
    assert_eq!(vocab.device().unwrap(), "cpu");
    let err = vocab.tokenize("no profile yet").unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidArgument);
    assert!(err.message().contains("no profile"), "{}", err.message());
    vocab.set_profile("lite").unwrap();
    assert_eq!(vocab.decode(&vocab.tokenize("now it works").unwrap()).unwrap(), b"now it works");
}
