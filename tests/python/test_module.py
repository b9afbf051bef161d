"""The circuitscope module against the run folder's own files and the independent PyTorch model."""
import gc
import json
import os
import shutil

import numpy as np
import pytest
import torch

import circuitscope as cs
from circuitscope_ref import model as ref
from circuitscope_ref.safetensors_io import loads

TEXT = "abc abc ab ab abc"


def snapshot_file(run_dir, step):
    with open(os.path.join(run_dir, "snapshots", "%09d.safetensors" % step), "rb") as f:
        return loads(f.read())[0]


def reference_cache(run_dir, step, tokens):
    """float64 forward pass of the PyTorch reference on the snapshot's file -> (logits, cache)."""
    m = json.load(open(os.path.join(run_dir, "config.json")))["model"]
    cfg = ref.Config.from_run_config(m)
    tensors = snapshot_file(run_dir, step)
    params = {n: torch.from_numpy(tensors[n].astype(np.float64)) for n in ref.param_names(cfg)}
    cache = {}
    with torch.no_grad():
        logits = ref.forward(cfg, params, torch.from_numpy(np.atleast_2d(tokens).astype(np.int64)), cache)
    return logits.numpy(), {k: v.numpy() for k, v in cache.items()}


def test_run_folder_reads_config_snapshots_and_eval_tokens(run_dir):
    run = cs.open_run(run_dir)
    assert run.name == "shortformer"
    assert run.config["model"]["n_layers"] == 2 and run.config["model"]["d_vocab"] == 257
    assert run.config["train"]["steps"] == 20
    steps = run.snapshot_steps
    assert steps == sorted(steps) and steps[-1] == 20 and len(steps) >= 3
    assert steps == sorted(int(f.split(".")[0]) for f in os.listdir(os.path.join(run_dir, "snapshots"))
                           if f.endswith(".safetensors"))
    e = run.eval_tokens()
    assert e.dtype == np.int32 and e.shape == (16, 65)
    np.testing.assert_array_equal(e, np.load(os.path.join(run_dir, "eval", "tokens.npy")))


def test_byte_tokenizer(run_dir):
    tok = cs.open_run(run_dir).tokenizer
    assert (tok.kind, tok.d_vocab, tok.bos_id) == ("bytes", 257, 256)
    ids = tok.encode("abc é")
    assert ids.dtype == np.int32 and list(ids) == [97, 98, 99, 32, 0xC3, 0xA9]
    assert list(tok.encode("ab", prepend_bos=True)) == [256, 97, 98]
    assert tok.decode(tok.encode("abc é", prepend_bos=True)) == "abc é"
    assert tok.piece(97) == "a" and tok.piece(256) == "<bos>"


def test_snapshot_by_step_or_last(run_dir):
    run = cs.open_run(run_dir)
    last = run.snapshot("last")
    assert last.step == 20 and last.tokens == 20 * 4 * 64
    assert last.run_id == run.config["run_id"]
    assert run.snapshot().step == 20 and run.snapshot(20).step == 20 and run.snapshot("20").step == 20
    first = run.snapshot(run.snapshot_steps[0])
    assert first.step == run.snapshot_steps[0]
    assert not np.array_equal(first.params["embed.W_E"], last.params["embed.W_E"])
    assert last.cfg["n_heads"] == 2 and last.cfg["positional_embedding_type"] == "shortformer"


def test_params_are_views_of_the_snapshot_weights(run_dir):
    model = cs.open_run(run_dir).snapshot("last")
    cfg = ref.Config.from_run_config(model.cfg.to_dict())
    params = model.params
    assert sorted(params) == sorted(ref.param_names(cfg))
    stored = snapshot_file(run_dir, 20)
    for name, p in params.items():
        assert p.shape == ref.param_shape(cfg, name), name
        assert p.dtype == np.float32
        assert not p.flags.owndata, name
        np.testing.assert_array_equal(p, stored[name])
    # Two lookups see one buffer, and the view keeps the model alive after the model is dropped.
    assert np.shares_memory(params["blocks.0.attn.W_Q"], model.params["blocks.0.attn.W_Q"])
    W_E = model.params["embed.W_E"]
    del model, params
    gc.collect()
    np.testing.assert_array_equal(W_E, stored["embed.W_E"])


def test_writing_a_param_changes_the_next_pass(run_dir):
    run = cs.open_run(run_dir)
    model = run.snapshot()
    tokens = run.tokenizer.encode(TEXT, prepend_bos=True)
    before = model.run(tokens)
    model.params["unembed.W_U"][:] = 0
    assert np.all(model.run(tokens) == 0)
    assert np.array_equal(run.snapshot().run(tokens), before)  # a fresh load is unaffected


def test_patterns_are_causal_distributions_and_views(run_dir):
    run = cs.open_run(run_dir)
    tokens = run.tokenizer.encode(TEXT, prepend_bos=True)
    T = len(tokens)
    logits, cache = run.snapshot().run_with_cache(tokens)
    assert logits.shape == (1, T, 257)  # one sequence is a batch of one
    for l in range(2):
        p = cache[f"blocks.{l}.attn.hook_pattern"]
        assert p.shape == (1, 2, T, T) and p.dtype == np.float32
        p = p[0]
        np.testing.assert_allclose(p.sum(axis=-1), 1.0, atol=1e-5)
        assert np.all(np.triu(p, k=1) == 0), "attention to later positions"
        i, j = np.tril_indices(T)
        assert np.all(p[:, i, j] > 0)
        assert not p.flags.owndata and not p.flags.writeable
    np.testing.assert_array_equal(cache.tokens, tokens[None])
    np.testing.assert_array_equal(cache["hook_logits"], logits)
    assert np.shares_memory(cache["hook_logits"], logits)


def test_cache_keys_shapes_and_consistency(run_dir):
    run = cs.open_run(run_dir)
    tokens = run.tokenizer.encode(TEXT, prepend_bos=True)
    T, H, K, D = len(tokens), 2, 8, 16
    model = run.snapshot()
    logits, cache = model.run_with_cache(tokens)
    keys = cache.keys()
    assert keys[:2] == ["hook_embed", "hook_pos_embed"] and keys[-1] == "hook_logits"
    assert list(cache) == keys and len(cache) == len(keys) == 2 + 2 * 10 + 1
    shapes = {"hook_resid_pre": (1, T, D), "hook_resid_post": (1, T, D), "attn.hook_q": (1, T, H, K),
              "attn.hook_k": (1, T, H, K), "attn.hook_v": (1, T, H, K), "attn.hook_z": (1, T, H, K),
              "attn.hook_attn_scores": (1, H, T, T), "attn.hook_pattern": (1, H, T, T),
              "attn.hook_result": (1, T, H, D), "hook_attn_out": (1, T, D)}
    for l in range(2):
        for k, shape in shapes.items():
            assert f"blocks.{l}.{k}" in cache
            assert cache[f"blocks.{l}.{k}"].shape == shape, k
        # Attention-only: a layer adds exactly the sum of its heads' results to the stream.
        np.testing.assert_allclose(
            cache[f"blocks.{l}.hook_resid_post"] - cache[f"blocks.{l}.hook_resid_pre"],
            cache[f"blocks.{l}.attn.hook_result"].sum(axis=2), atol=1e-5)
        np.testing.assert_allclose(cache[f"blocks.{l}.hook_attn_out"], cache[f"blocks.{l}.attn.hook_result"].sum(axis=2),
                                   atol=1e-6)
        # The pattern is the softmax of the scores, whose masked half is -inf.
        scores = cache[f"blocks.{l}.attn.hook_attn_scores"]
        assert np.all(np.isneginf(scores[..., np.triu_indices(T, 1)[0], np.triu_indices(T, 1)[1]]))
        e = np.exp(scores - scores.max(-1, keepdims=True))
        np.testing.assert_allclose(e / e.sum(-1, keepdims=True), cache[f"blocks.{l}.attn.hook_pattern"], atol=1e-6)
        # z is the pattern-weighted sum of values.
        np.testing.assert_allclose(
            cache[f"blocks.{l}.attn.hook_z"],
            np.einsum("bhij,bjhd->bihd", cache[f"blocks.{l}.attn.hook_pattern"], cache[f"blocks.{l}.attn.hook_v"]),
            atol=1e-5)
    np.testing.assert_array_equal(cache["blocks.1.hook_resid_pre"], cache["blocks.0.hook_resid_post"])
    np.testing.assert_allclose(logits, cache["blocks.1.hook_resid_post"] @ model.params["unembed.W_U"], atol=1e-5)
    # The token and position embeddings apart, as TransformerLens has them.
    np.testing.assert_array_equal(cache["hook_embed"][0], model.W_E[tokens])
    np.testing.assert_array_equal(cache["hook_pos_embed"][0], model.W_pos[:T])
    # q, k and v are strided views of one [batch, seq, 3, H, K] buffer, not copies.
    q, v = cache["blocks.0.attn.hook_q"], cache["blocks.0.attn.hook_v"]
    assert np.may_share_memory(q, v) and not np.shares_memory(q, v)
    assert q.strides == (T * 3 * H * K * 4, 3 * H * K * 4, K * 4, 4) and not q.flags.owndata
    with pytest.raises(KeyError, match="blocks.7.attn.hook_pattern"):
        cache["blocks.7.attn.hook_pattern"]


def test_cache_outlives_the_model_and_its_python_objects(run_dir):
    run = cs.open_run(run_dir)
    tokens = run.tokenizer.encode(TEXT, prepend_bos=True)
    _, cache = run.snapshot().run_with_cache(tokens)
    pattern = cache["blocks.1.attn.hook_pattern"]
    expected = pattern.copy()
    del cache, run
    gc.collect()
    np.testing.assert_array_equal(pattern, expected)


def test_matches_the_pytorch_reference(variant_run_dir):
    run = cs.open_run(variant_run_dir)
    positions = run.config["model"]["positional_embedding_type"]
    tokens = run.tokenizer.encode(TEXT, prepend_bos=True)
    logits, cache = run.snapshot("last").run_with_cache(tokens)
    ref_logits, ref_cache = reference_cache(variant_run_dir, 20, tokens)
    np.testing.assert_allclose(logits, ref_logits, rtol=0, atol=1e-4)
    assert np.abs(logits - ref_logits).max() < 1e-5
    compared = 0
    for name in cache.keys():
        theirs = ref_cache.get(name)
        if theirs is None and name.endswith("hook_resid_post"):
            layer = int(name.split(".")[1])
            theirs = ref_cache.get(f"blocks.{layer + 1}.hook_resid_pre")
        if theirs is None:
            theirs = {"hook_logits": ref_cache["logits"]}.get(name)
        if theirs is None:
            continue
        ours = cache[name]
        if name.endswith("hook_attn_scores"):  # -inf above the diagonal in both
            assert np.array_equal(np.isneginf(ours), np.isneginf(theirs)), name
            ours, theirs = (np.where(np.isneginf(x), 0, x) for x in (ours, theirs))
        np.testing.assert_allclose(ours, theirs, rtol=0, atol=1e-4, err_msg=name)
        compared += 1
    expected = {"hook_embed", "blocks.0.attn.hook_q", "blocks.1.attn.hook_k", "blocks.1.attn.hook_attn_scores",
                "blocks.1.attn.hook_result", "blocks.0.hook_attn_out"}
    if positions != "rotary":
        expected.add("hook_pos_embed")
    else:
        expected |= {"blocks.0.attn.hook_rot_q", "blocks.1.attn.hook_rot_k"}
    assert expected <= set(cache.keys()), expected - set(cache.keys())
    assert compared >= 20, compared
    if not run.config["model"]["attn_only"]:
        mlp_hooks = [n for n in cache.keys() if "mlp" in n or "attn_out" in n or "resid_mid" in n or "ln2" in n]
        assert "blocks.1.mlp.hook_post" in mlp_hooks and "blocks.0.hook_mlp_out" in mlp_hooks
        for name in mlp_hooks:
            np.testing.assert_allclose(cache[name], ref_cache[name], rtol=0, atol=1e-4, err_msg=name)


def test_batch_of_eval_sequences_matches_the_reference(run_dir):
    run = cs.open_run(run_dir)
    batch = run.eval_tokens()[:4, :-1]
    logits, cache = run.snapshot().run_with_cache(batch)
    assert logits.shape == (4, 64, 257)
    assert cache["blocks.1.attn.hook_pattern"].shape == (4, 2, 64, 64)
    ref_logits, ref_cache = reference_cache(run_dir, 20, batch)
    np.testing.assert_allclose(logits, ref_logits, rtol=0, atol=1e-4)
    np.testing.assert_allclose(cache["blocks.1.attn.hook_pattern"], ref_cache["blocks.1.attn.hook_pattern"],
                               rtol=0, atol=1e-4)
    # One sequence alone gives what it gives inside the batch.
    np.testing.assert_allclose(run.snapshot().run(batch[2])[0], logits[2], rtol=0, atol=1e-5)


def test_library_errors_raise_circuitscope_error(tmp_path, run_dir):
    missing = tmp_path / "nothing-here"
    with pytest.raises(cs.Error) as e:
        cs.open_run(missing)
    assert str(e.value) == f"no run in '{missing}': {missing}/config.json is missing"
    assert isinstance(e.value, RuntimeError)
    run = cs.open_run(run_dir)
    absent = next(s for s in range(1, 100) if s not in run.snapshot_steps)
    with pytest.raises(cs.Error, match=f"has no snapshot at step {absent}$"):
        run.snapshot(absent)
    with pytest.raises(cs.Error, match="a snapshot is a step number or 'last'"):
        run.snapshot("first")
    # A snapshot of another run is refused.
    other = tmp_path / "copy"
    shutil.copytree(run_dir, other)
    config = json.load(open(other / "config.json"))
    config["run_id"] = "0123456789abcdef"
    json.dump(config, open(other / "config.json", "w"))
    with pytest.raises(cs.Error, match="0123456789abcdef"):
        cs.open_run(other).snapshot()
    # A cut file names itself.
    snap = other / "snapshots" / ("%09d.safetensors" % 20)
    snap.write_bytes(snap.read_bytes()[:100])
    with pytest.raises(cs.Error, match="000000020.safetensors"):
        cs.open_run(other).snapshot(20)


def test_bad_tokens_raise_python_errors(run_dir):
    run = cs.open_run(run_dir)
    model = run.snapshot()
    too_long = run.tokenizer.encode("x" * 64, prepend_bos=True)
    with pytest.raises(ValueError, match="a sequence of 65 tokens is longer than the model's n_ctx = 64"):
        model.run_with_cache(too_long)
    with pytest.raises(ValueError, match=r"token id 300 at index 1 is outside the vocabulary \[0, 257\)"):
        model.run_with_cache([1, 300])
    with pytest.raises(ValueError, match="outside the vocabulary"):
        model.run([-1])
    with pytest.raises(ValueError, match="empty"):
        model.run([])
    with pytest.raises(TypeError, match="integers"):
        model.run(np.array([1.5, 2.0]))
    with pytest.raises(ValueError, match="3 dimensions"):
        model.run(np.zeros((1, 1, 2), dtype=np.int64))


def test_icl_matches_the_icl_command(tmp_path, run_dir):
    """run.icl() is what `circuitscope icl` writes into analysis/icl.json."""
    import subprocess
    copy = tmp_path / "run"
    shutil.copytree(run_dir, copy)
    r = subprocess.run([os.environ["CIRCUITSCOPE_BINARY"], "icl", str(copy)], capture_output=True, text=True)
    assert r.returncode == 0, r.stdout + r.stderr
    written = json.load(open(copy / "analysis" / "icl.json"))
    got = cs.open_run(copy).icl()
    assert got["steps"] == written["steps"]
    np.testing.assert_allclose(got["icl_score"], written["icl_score"], rtol=1e-12, atol=1e-12)
    assert got["early_window"] == written["early_window"] and got["late_window"] == written["late_window"]


def test_heads_match_the_module_cache(run_dir):
    """Previous-token scores of cs.heads agree with the patterns of the module's own cache."""
    run = cs.open_run(run_dir)
    model = run.snapshot("last")
    h = cs.heads(model, run)
    assert h["snapshot_step"] == model.step
    assert len(h["heads"]) == 4
    for row in h["heads"]:
        assert 0 <= row["prefix_matching"] <= 1 and 0 <= row["previous_token"] <= 1
        assert -1 <= row["ov_copying_score"] <= 1
    # The evaluator's previous-token score: mean attention i -> i-1 over evaluation text (i >= 1).
    text = run.eval_tokens()[: h["evaluators"]["text_sequences"], :-1]
    _, cache = model.run_with_cache(text)
    for row in h["heads"]:
        pattern = cache["blocks.%d.attn.hook_pattern" % row["layer"]][:, row["head"]]
        prev = np.mean([np.diagonal(p, offset=-1).mean() for p in pattern])
        assert abs(prev - row["previous_token"]) < 1e-4, (row, prev)


def test_ablate_every_head_leaves_a_context_free_model(run_dir):
    run = cs.open_run(run_dir)
    model = run.snapshot("last")
    one = cs.ablate(model, run, heads=[(1, 0)])
    assert one["heads"] == [[1, 0]] and one["kind"] == "pattern-preserving"
    assert one["delta_icl"] == pytest.approx(one["ablated_icl"] - one["clean_icl"])
    every = [(l, h) for l in range(2) for h in range(2)]
    frozen, full = cs.ablate(model, run, heads=every), cs.ablate(model, run, heads=every, kind="full")
    assert frozen["ablated_loss"] == pytest.approx(full["ablated_loss"], abs=1e-6)
    with pytest.raises(cs.Error, match="out of range"):
        cs.ablate(model, run, heads=[(5, 0)])
    with pytest.raises(ValueError, match="kind"):
        cs.ablate(model, run, heads=[(0, 0)], kind="mean")


def test_circuits_spectra_equal_the_heads_copying_scores(run_dir):
    run = cs.open_run(run_dir)
    model = run.snapshot("last")
    c, h = cs.circuits(model, run), cs.heads(model, run)
    for a, b in zip(c["circuits"]["heads"], h["heads"]):
        assert a["ov_copying_score"] == b["ov_copying_score"]


def test_python_gives_the_command_lines_numbers(tmp_path, run_dir):
    """cs.heads and cs.circuits call the entries the `heads` and `circuits` commands call."""
    import subprocess
    copy = tmp_path / "run"
    shutil.copytree(run_dir, copy)
    for command in ("heads", "circuits"):
        r = subprocess.run([os.environ["CIRCUITSCOPE_BINARY"], command, str(copy)], capture_output=True, text=True)
        assert r.returncode == 0, r.stdout + r.stderr
    run = cs.open_run(copy)
    model = run.snapshot("last")
    written = json.load(open(copy / "analysis" / "heads.json"))
    ours = cs.heads(model, run).to_dict()
    for a, b in zip(ours["heads"], written["heads"]):
        for key in ("prefix_matching", "previous_token", "ov_copying_score", "qk_copying_score"):
            assert a[key] == pytest.approx(b[key], abs=1e-12), key
        assert a["kinds"] == b["kinds"]
    composition = json.load(open(copy / "analysis" / "composition.json"))
    c = cs.circuits(model, run).to_dict()["composition"]
    # The pairs hold the induction axes, which take measured previous-token scores in both.
    for key in ("pairs", "baseline", "induction_qk"):
        np.testing.assert_allclose(np.array(_numbers(c[key])), np.array(_numbers(composition[key])),
                                   rtol=0, atol=1e-12, err_msg=key)


def _numbers(x):
    """Every number in a JSON value, in order."""
    if isinstance(x, dict):
        return [n for k in sorted(x) for n in _numbers(x[k])]
    if isinstance(x, list):
        return [n for v in x for n in _numbers(v)]
    return [float(x)] if isinstance(x, (int, float)) and not isinstance(x, bool) else []
