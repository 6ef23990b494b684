"""Every engine pickles and works unchanged in other processes: multiprocessing (fork and spawn),
concurrent.futures, a `datasets.map(num_proc=...)`-style shard map, and a real Dask cluster.

Each engine tokenizes ~400 KB of real text (tests/corpus.py) cut into shards; whatever process does
the work, the ids equal those of the single process that made the engine. The engines:

- ``vocab_name``: CrayonVocab with the bundled profile "lite" (travels as the name + checksum);
- ``vocab_data``: CrayonVocab.from_dat_bytes of a small real profile (travels as its .dat image);
- ``rustbpe``: a compat.rustbpe.Tokenizer trained here (travels as pattern + token bytes);
- ``encoding``: a compat.tiktoken.Encoding made from those ranks (travels as tiktoken's arguments);
- ``cl100k_base``: the registry Encoding (travels as its name; needs the npm peers' rank files).
"""
from __future__ import annotations

import concurrent.futures
import multiprocessing
import os
import pickle

import pytest

import engine_support
from crayon import CrayonVocab
from crayon._errors import CrayonFormatError, CrayonIOError, CrayonValueError
from crayon.compat import rustbpe, tiktoken

SHARDS = 8
TIMEOUT = 60   # seconds; a worker that waits for threads fork() did not copy fails, not hangs
ENGINES = ("vocab_name", "vocab_data", "rustbpe", "encoding", "cl100k_base")


# ---- what a worker runs (module level, so spawn and Dask workers can import it) ----------------

def encode(tok, text: str) -> list[int]:
    """One text's ids with the engine's own single-text call."""
    if isinstance(tok, CrayonVocab):
        return tok.tokenize(text)
    if isinstance(tok, tiktoken.Encoding):
        return tok.encode_ordinary(text)
    return tok.encode(text)


def encode_shard(tok, shard: list[str]) -> list[list[int]]:
    return [encode(tok, text) for text in shard]


def encode_batch(tok, shard: list[str]) -> list[list[int]]:
    """The same ids with the engine's native batch call (many threads; one in a fork()ed child)."""
    if isinstance(tok, CrayonVocab):
        return tok.tokenize_batch(shard)
    if isinstance(tok, tiktoken.Encoding):
        return tok.encode_ordinary_batch(shard)
    return tok.batch_encode(shard)


def encode_task(args: tuple) -> list[list[int]]:
    return encode_shard(*args)


_inherited = None  # set in the parent before a fork, never pickled


def encode_with_inherited(shard: list[str]) -> tuple[list[list[int]], list[list[int]]]:
    return encode_shard(_inherited, shard), encode_batch(_inherited, shard)


def datasets_style_map(function, dataset: dict[str, list], *, num_proc: int) -> dict[str, list]:
    """What ``datasets.Dataset.map(function, batched=True, num_proc=...)`` does: cut the columns
    into ``num_proc`` contiguous shards, pickle the function (a closure over the tokenizer, so
    with cloudpickle, as datasets does with dill) into fresh worker processes, map each shard as
    one batch, concatenate the results in shard order."""
    import cloudpickle
    n = len(next(iter(dataset.values())))
    bounds = [n * i // num_proc for i in range(num_proc + 1)]
    shards = [{k: v[bounds[i]:bounds[i + 1]] for k, v in dataset.items()} for i in range(num_proc)]
    payload = cloudpickle.dumps(function)
    context = multiprocessing.get_context("spawn")
    with concurrent.futures.ProcessPoolExecutor(num_proc, mp_context=context) as pool:
        results = list(pool.map(_map_batch, [payload] * num_proc, shards))
    return {k: [row for r in results for row in r[k]] for k in results[0]}


def _map_batch(payload: bytes, batch: dict[str, list]) -> dict[str, list]:
    return pickle.loads(payload)(batch)


# ---- the engines and their single-process results ---------------------------------------------

@pytest.fixture(scope="module")
def corpus_shards() -> list[list[str]]:
    docs = (engine_support.corpus_documents("english", 250_000)
            + engine_support.corpus_documents("code", 100_000)
            + engine_support.corpus_documents("multilingual", 50_000))
    return [docs[i::SHARDS] for i in range(SHARDS)]


@pytest.fixture(scope="module")
def engines(corpus_shards) -> dict[str, object]:
    texts = [t for shard in corpus_shards for t in shard]
    trained = rustbpe.Tokenizer()
    trained.train_from_iterator(texts[::4], vocab_size=1024)
    ranks = dict(trained.get_mergeable_ranks())
    made = {
        "vocab_name": CrayonVocab(device="cpu", profile="lite"),
        "vocab_data": CrayonVocab.from_dat_bytes(engine_support.build_dat(
            engine_support.frequent_words("english", 3000), "pickled")),
        "rustbpe": trained,
        "encoding": tiktoken.Encoding("test-pickle", pat_str=rustbpe.GPT4_PATTERN,
                                      mergeable_ranks=ranks,
                                      special_tokens={"<|endoftext|>": len(ranks)}),
    }
    import bpe_support
    if bpe_support.peers_missing() is None:
        made["cl100k_base"] = bpe_support.get_encoding("cl100k_base")
    yield made
    made["vocab_name"].close()
    made["vocab_data"].close()


@pytest.fixture(scope="module")
def expected(engines, corpus_shards) -> dict[str, list[list[list[int]]]]:
    return {name: [encode_shard(tok, shard) for shard in corpus_shards]
            for name, tok in engines.items()}


@pytest.fixture(params=ENGINES)
def engine(request, engines):
    if request.param not in engines:
        import bpe_support
        pytest.skip(f"npm peers unavailable: {bpe_support.peers_missing()}")
    return request.param


# ---- pickling ---------------------------------------------------------------------------------

def test_round_trip_gives_the_same_ids(engine, engines, corpus_shards, expected):
    back = pickle.loads(pickle.dumps(engines[engine]))
    assert encode_shard(back, corpus_shards[0]) == expected[engine][0]


def test_vocab_by_name_travels_as_name_and_checksum(engines):
    vocab = engines["vocab_name"]
    data = pickle.dumps(vocab)
    assert len(data) < 200
    back = pickle.loads(data)
    assert (back.profile, back.profile_info["checksum"]) == ("lite", vocab.profile_info["checksum"])


def test_vocab_from_bytes_travels_as_its_data(engines):
    vocab = engines["vocab_data"]
    data = pickle.dumps(vocab)
    assert len(data) > vocab.profile_info["bytes"]
    assert pickle.loads(data).profile_info == vocab.profile_info


def test_vocab_from_a_mapped_file_travels_as_its_data(tmp_path):
    import mmap
    path = engine_support.write_dat(tmp_path, ["hello", " world"], "mapped")
    with open(path, "rb") as f, mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as mm:
        data = pickle.dumps(CrayonVocab.from_dat_bytes(mm))
    path.unlink()
    assert pickle.loads(data).tokenize("hello world!") == [260, 261, 4 + ord("!")]


def test_registry_encoding_travels_as_its_name(engines):
    if "cl100k_base" not in engines:
        import bpe_support
        pytest.skip(f"npm peers unavailable: {bpe_support.peers_missing()}")
    assert len(pickle.dumps(engines["cl100k_base"])) < 200


def test_a_changed_profile_file_is_refused_when_unpickled(tmp_path):
    path = engine_support.write_dat(tmp_path, ["hello", " world"], "mine")
    with CrayonVocab(profile=path) as vocab:
        data = pickle.dumps(vocab)
    assert pickle.loads(data).tokenize("hello world") == [260, 261]
    engine_support.write_dat(tmp_path, ["hello", " there"], "mine")
    with pytest.raises(CrayonFormatError, match="checksum .* the .dat files differ"):
        pickle.loads(data)
    path.unlink()
    with pytest.raises(CrayonIOError, match="from_dat_bytes"):
        pickle.loads(data)


def test_a_vocab_pickles_its_active_profile_only():
    with CrayonVocab(device="cpu", profile="lite") as vocab:
        with vocab.using_profile("code"):
            inside = pickle.loads(pickle.dumps(vocab))
        assert inside.profile == "code"
        assert pickle.loads(pickle.dumps(vocab)).profile == "lite"
    assert pickle.loads(pickle.dumps(CrayonVocab(device="cpu"))).profile is None


def test_a_closed_vocab_cannot_be_pickled():
    vocab = CrayonVocab(device="cpu", profile="lite")
    vocab.close()
    with pytest.raises(CrayonValueError, match="closed"):
        pickle.dumps(vocab)


def test_rustbpe_keeps_pattern_and_merges_and_untrained_pickles():
    tok = rustbpe.Tokenizer()
    assert pickle.loads(pickle.dumps(tok)).vocab_size == 256
    tok.train_from_iterator(["the cat sat on the mat"] * 20, vocab_size=270, pattern=r"\s?\w+|\s+")
    back = pickle.loads(pickle.dumps(tok))
    assert (back.get_pattern(), back.get_merges()) == (tok.get_pattern(), tok.get_merges())


# ---- processes ----------------------------------------------------------------------------------

@pytest.mark.parametrize("method", ["fork", "spawn"])
def test_multiprocessing_pool(method, engine, engines, corpus_shards, expected):
    tok = engines[engine]
    with multiprocessing.get_context(method).Pool(2) as pool:
        got = pool.map_async(encode_task, [(tok, shard) for shard in corpus_shards]).get(TIMEOUT)
    assert got == expected[engine]


def test_fork_inherits_a_loaded_engine_without_pickling(engine, engines, corpus_shards, expected):
    # The parent has used its native threads (a batch call) before forking: the children must not
    # wait for threads that fork() did not copy (see crayon._native.threads).
    global _inherited
    _inherited = engines[engine]
    assert encode_batch(_inherited, corpus_shards[0]) == expected[engine][0]
    try:
        with multiprocessing.get_context("fork").Pool(2) as pool:
            got = pool.map_async(encode_with_inherited, corpus_shards).get(TIMEOUT)
    finally:
        _inherited = None
    assert got == [(ids, ids) for ids in expected[engine]]


def test_process_pool_executor(engine, engines, corpus_shards, expected):
    tok = engines[engine]
    with concurrent.futures.ProcessPoolExecutor(2) as pool:
        got = list(pool.map(encode_shard, [tok] * SHARDS, corpus_shards))
    assert got == expected[engine]


def test_datasets_style_map_with_num_proc(engine, engines, corpus_shards, expected):
    tok = engines[engine]
    texts = [t for shard in corpus_shards for t in shard]
    got = datasets_style_map(lambda batch: {"ids": [encode(tok, t) for t in batch["text"]]},
                             {"text": texts}, num_proc=2)
    assert got["ids"] == [ids for shard in expected[engine] for ids in shard]


# ---- a real Dask cluster ----------------------------------------------------------------------

@pytest.fixture(scope="module")
@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def dask_client():
    try:
        import distributed
    except ImportError as e:
        pytest.skip(f"Dask is not installed ({e}); `make deps` installs python3-distributed")
    cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                       host="127.0.0.1", dashboard_address=None)
    try:
        client = distributed.Client(cluster)
        try:
            yield client
        finally:
            client.close()
    finally:
        cluster.close()


@pytest.mark.filterwarnings("ignore::DeprecationWarning")   # tornado's, inside distributed
def test_dask_cluster_tokenizes_partitions_as_one_process(engine, engines, corpus_shards, expected,
                                                          dask_client):
    assert os.getpid() not in dask_client.run(os.getpid).values()  # the workers are processes
    [tok] = dask_client.scatter([engines[engine]], broadcast=True)   # pickled once per worker
    futures = [dask_client.submit(encode_shard, tok, shard, pure=False) for shard in corpus_shards]
    assert dask_client.gather(futures) == expected[engine]
