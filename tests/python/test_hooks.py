"""Hooks, caches and factored circuits from Python, against the independent PyTorch model (which
takes hook functions too) and against numpy."""
import numpy as np
import pytest
import torch

import circuitscope as cs
from test_module import TEXT, reference_cache


def ref_run(run_dir, tokens, hooks):
    """The reference's logits with hooks given as name -> fn(torch tensor) -> tensor."""
    import json
    import os

    from circuitscope_ref import model as ref
    from circuitscope_ref.safetensors_io import loads
    cfg = ref.Config.from_run_config(json.load(open(os.path.join(run_dir, "config.json")))["model"])
    with open(os.path.join(run_dir, "snapshots", "%09d.safetensors" % 20), "rb") as f:
        tensors = loads(f.read())[0]
    params = {n: torch.from_numpy(tensors[n].astype(np.float64)) for n in ref.param_names(cfg)}
    with torch.no_grad():
        return ref.forward(cfg, params, torch.from_numpy(np.asarray(tokens, dtype=np.int64)), hooks=hooks).numpy()


def test_zeroing_a_head_on_hook_z_is_the_ablated_forward(variant_run_dir):
    run = cs.open_run(variant_run_dir)
    model = run.snapshot("last")
    tokens = model.to_tokens(TEXT)
    seen = []

    def zero_head(z, hook):
        seen.append((hook.name, hook.layer(), z.shape))
        z[:, :, 1] = 0  # in place

    logits = model.run_with_hooks(tokens, fwd_hooks=[("blocks.0.attn.hook_z", zero_head)])
    T = tokens.shape[1]
    assert seen == [("blocks.0.attn.hook_z", 0, (1, T, 2, 8))]

    def ref_zero(z):
        z = z.clone()
        z[:, :, 1] = 0
        return z

    expected = ref_run(variant_run_dir, tokens, {"blocks.0.attn.hook_z": ref_zero})
    np.testing.assert_allclose(logits, expected, rtol=0, atol=1e-4)
    assert np.abs(logits - model(tokens)).max() > 1e-3, "the ablation changed nothing"
    # A returned replacement does the same, and so does zeroing the head's result.
    again = model.run_with_hooks(tokens, fwd_hooks=[("blocks.0.attn.hook_z", lambda z, h: z * np.array([1, 0])[None, None, :, None])])
    np.testing.assert_allclose(again, logits, rtol=0, atol=1e-5)

    def zero_result(r, hook):
        r[:, :, 1] = 0

    via_result = model.run_with_hooks(tokens, fwd_hooks=[("blocks.0.attn.hook_result", zero_result)])
    np.testing.assert_allclose(via_result, logits, rtol=0, atol=1e-4)


def test_replacing_the_pattern_is_the_frozen_pattern_forward(variant_run_dir):
    run = cs.open_run(variant_run_dir)
    model = run.snapshot("last")
    tokens = model.to_tokens(TEXT)
    other = model.to_tokens(TEXT[::-1])
    _, other_cache = model.run_with_cache(other, names_filter="blocks.1.attn.hook_pattern")
    frozen = np.array(other_cache["blocks.1.attn.hook_pattern"])
    logits = model.run_with_hooks(tokens, fwd_hooks=[("blocks.1.attn.hook_pattern", lambda p, h: frozen)])
    expected = ref_run(variant_run_dir, tokens, {"blocks.1.attn.hook_pattern": lambda p: torch.from_numpy(
        frozen.astype(np.float64))})
    np.testing.assert_allclose(logits, expected, rtol=0, atol=1e-4)


def test_changing_scores_q_and_mlp_points_matches_the_reference(variant_run_dir):
    run = cs.open_run(variant_run_dir)
    model = run.snapshot("last")
    tokens = model.to_tokens(TEXT)
    names = set(model.hook_names())
    ours, theirs = [], {}
    for name in ["blocks.1.attn.hook_attn_scores", "blocks.0.attn.hook_q", "blocks.1.attn.hook_v",
                 "blocks.0.hook_resid_post", "hook_embed", "blocks.0.mlp.hook_pre", "blocks.1.mlp.hook_post",
                 "blocks.0.hook_attn_out", "blocks.1.hook_mlp_out", "ln_final.hook_normalized",
                 "blocks.0.attn.hook_rot_k"]:
        if name in names:
            ours.append((name, lambda x, h: x * 0.5))
            theirs[name] = lambda x: x * 0.5
    assert len(ours) >= 6
    logits = model.run_with_hooks(tokens, fwd_hooks=ours)
    np.testing.assert_allclose(logits, ref_run(variant_run_dir, tokens, theirs), rtol=0, atol=1e-4)


def test_hook_order_filters_and_read_only_points(run_dir):
    model = cs.open_run(run_dir).snapshot("last")
    tokens = model.to_tokens(TEXT)
    order = []
    model.run_with_hooks(tokens, fwd_hooks=[(lambda n: n.endswith("hook_resid_pre"), lambda x, h: order.append(h.name)),
                                            ("hook_embed", lambda x, h: order.append(h.name))])
    assert order == ["hook_embed", "blocks.0.hook_resid_pre", "blocks.1.hook_resid_pre"]
    # shortformer positions feed every layer from W_pos: the hook may read them only.
    pos = []
    model.run_with_hooks(tokens, fwd_hooks=[("hook_pos_embed", lambda x, h: pos.append(h.replaceable))])
    assert pos == [False]
    with pytest.raises(cs.Error, match="hook_pos_embed can only be read"):
        model.run_with_hooks(tokens, fwd_hooks=[("hook_pos_embed", lambda x, h: x * 0)])
    with pytest.raises(cs.Error, match="hook_logits can only be read"):
        model.run_with_hooks(tokens, fwd_hooks=[("hook_logits", lambda x, h: x.fill(0))])
    with pytest.raises(KeyError, match="blocks.9.hook_z"):
        model.run_with_hooks(tokens, fwd_hooks=[("blocks.9.hook_z", lambda x, h: None)])
    with pytest.raises(ValueError, match="shape"):
        model.run_with_hooks(tokens, fwd_hooks=[("blocks.0.attn.hook_z", lambda x, h: x[:, :1])])
    with pytest.raises(ValueError, match="is not inside a block"):
        model.run_with_hooks(tokens, fwd_hooks=[("hook_embed", lambda x, h: h.layer())])
    # An error inside a hook reaches the caller as it was raised.
    with pytest.raises(ZeroDivisionError):
        model.run_with_hooks(tokens, fwd_hooks=[("blocks.0.attn.hook_z", lambda x, h: 1 / 0)])


def test_names_filter_and_loss_as_transformer_lens_documents(run_dir):
    model = cs.open_run(run_dir).snapshot("last")
    tokens = model.to_tokens([TEXT, TEXT.upper()])
    assert tokens.shape[0] == 2 and tokens[0, 0] == model.tokenizer.bos_id
    logits, cache = model.run_with_cache(tokens, names_filter=lambda n: n.endswith("pattern"))
    assert cache.keys() == ["blocks.0.attn.hook_pattern", "blocks.1.attn.hook_pattern"]
    assert cache["pattern", 1].shape == (2, 2, tokens.shape[1], tokens.shape[1])
    with pytest.raises(KeyError):
        cache["blocks.0.attn.hook_z"]
    _, one = model.run_with_cache(tokens, names_filter="blocks.0.hook_resid_post")
    assert one.keys() == ["blocks.0.hook_resid_post"]
    _, two = model.run_with_cache(tokens, names_filter=["hook_embed", "blocks.1.attn.hook_z"])
    assert two.keys() == ["hook_embed", "blocks.1.attn.hook_z"]
    # The loss: mean cross-entropy of each next token, over the batch and positions 0 .. seq-2.
    logp = torch.log_softmax(torch.from_numpy(np.array(logits, dtype=np.float64)), dim=-1).numpy()
    expected = -np.take_along_axis(logp[:, :-1], tokens[:, 1:, None].astype(np.int64), axis=-1)[..., 0]
    per_token = model(tokens, return_type="loss", loss_per_token=True)
    assert per_token.shape == (2, tokens.shape[1] - 1)
    np.testing.assert_allclose(per_token, expected, rtol=0, atol=1e-6)
    assert model(tokens, return_type="loss") == pytest.approx(expected.mean(), abs=1e-6)
    assert model.run_with_hooks(tokens, return_type=None) is None
    both = model.run_with_cache(tokens, return_type="both")[0]
    np.testing.assert_array_equal(both[0], logits)
    with pytest.raises(ValueError, match="return_type"):
        model(tokens, return_type="probs")


def test_text_helpers_cfg_and_weights(run_dir):
    model = cs.open_run(run_dir).snapshot("last")
    assert model.to_str_tokens("ab c")[1:] == ["a", "b", " ", "c"] and len(model.to_str_tokens("ab c")) == 5
    assert model.to_string(model.to_tokens("ab c", prepend_bos=False)[0]) == "ab c"
    assert model.to_string(model.to_tokens(["ab", "cd"], prepend_bos=False)) == ["ab", "cd"]
    assert model.cfg.n_layers == 2 and model.cfg["d_head"] == 8 and model.cfg.to_dict()["n_heads"] == 2
    assert model.W_Q.shape == (2, 2, 16, 8) and model.W_O.shape == (2, 2, 8, 16)
    np.testing.assert_array_equal(model.W_Q[1], model.params["blocks.1.attn.W_Q"])
    assert np.shares_memory(model.W_Q, model.params["blocks.0.attn.W_Q"]) and not model.W_Q.flags.owndata
    assert model.W_E.shape == (257, 16) and model.W_U.shape == (16, 257)
    with pytest.raises(AttributeError):
        model.W_in  # attention-only


def test_factored_circuits(run_dir):
    model = cs.open_run(run_dir).snapshot("last")
    OV, QK = model.OV, model.QK
    assert OV.shape == (2, 2, 16, 16) and QK.shape == (2, 2, 16, 16) and OV[1, 0].shape == (16, 16)
    for l in range(2):
        for h in range(2):
            W_V, W_O = model.W_V[l, h].astype(np.float64), model.W_O[l, h].astype(np.float64)
            got = np.sort_complex(OV[l, h].eigenvalues)
            np.testing.assert_allclose(got, np.sort_complex(np.linalg.eigvals(W_O @ W_V)), rtol=1e-8, atol=1e-10)
            np.testing.assert_allclose(OV[l, h].AB, W_V @ W_O, rtol=1e-6, atol=1e-7)
            U, S, Vh = OV[l, h].svd()
            np.testing.assert_allclose(U @ np.diag(S) @ Vh.T, W_V @ W_O, atol=1e-6)
            np.testing.assert_allclose(S, np.linalg.svd(W_V @ W_O, compute_uv=False)[:8], rtol=1e-8, atol=1e-10)
            assert OV[l, h].norm() == pytest.approx(np.linalg.norm(W_V @ W_O), rel=1e-10)
            np.testing.assert_allclose(QK[l, h].AB, model.W_Q[l, h] @ model.W_K[l, h].T, rtol=1e-6, atol=1e-7)
    assert OV.eigenvalues.shape == (2, 2, 8) and OV[1].norm().shape == (2,)
    composed = OV[0, 0] @ OV[1, 1]
    np.testing.assert_allclose(composed.AB, OV[0, 0].AB @ OV[1, 1].AB, atol=1e-5)
    x = np.ones(16)
    np.testing.assert_allclose(x @ OV[0, 1], x @ OV[0, 1].AB, atol=1e-5)


def test_analyses_are_objects(run_dir):
    run = cs.open_run(run_dir)
    model = run.snapshot("last")
    h = cs.heads(model, run)
    assert isinstance(h, cs.HeadsResult) and h.snapshot_step == model.step
    assert h.heads[0].layer == 0 and h.to_dict()["heads"][0]["layer"] == 0
    with pytest.raises(AttributeError, match="no field"):
        h.nothing
    assert isinstance(run.icl(), cs.IclResult) and run.icl().steps[-1] == model.step
