//! Tokenize a string with a named profile (or a .dat path), print ids and pieces, check the
//! round trip, then tokenize a few documents in one batch call.
//!
//!   cargo run --offline --example tokenize -- lite "Hello, crayons!"
use std::process::ExitCode;

fn run() -> crayon::Result<bool> {
    let mut args = std::env::args().skip(1);
    let profile = args.next().unwrap_or_else(|| "lite".to_owned());
    let text = args.next().unwrap_or_else(|| "The quick brown fox jumps over the lazy dog.".to_owned());

    let vocab = crayon::Vocab::with_profile(&profile)?;
    let ids = vocab.tokenize(&text)?;
    println!("crayon {} on {}: {} tokens with profile {} (vocabulary of {})",
             crayon::version(), vocab.device()?, ids.len(), vocab.profile_name()?, vocab.vocab_size()?);
    for &id in &ids {
        println!("  {id:6}  {:?}", String::from_utf8_lossy(&vocab.decode(&[id])?));
    }
    let round_trip = vocab.decode(&ids)? == text.as_bytes();
    println!("round trip: {}", if round_trip { "ok" } else { "MISMATCH" });

    let docs = ["first document", "fn main() { println!(\"hi\"); }", "", "naïve café 🖍️"];
    let batch = vocab.tokenize_batch(&docs, 0)?;
    let mut batch_ok = true;
    for (doc, doc_ids) in docs.iter().zip(batch.iter()) {
        batch_ok &= vocab.decode(doc_ids)? == doc.as_bytes();
        println!("  {:3} tokens  {doc:?}", doc_ids.len());
    }
    println!("batch round trip: {} ({} documents, {} tokens)",
             if batch_ok { "ok" } else { "MISMATCH" }, batch.len(), batch.ids().len());

    match vocab.decode(&[-1]) {
        Err(e) => println!("unknown id rejected: {e}"),
        Ok(_) => return Ok(false),
    }
    Ok(round_trip && batch_ok)
}

fn main() -> ExitCode {
    match run() {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}
