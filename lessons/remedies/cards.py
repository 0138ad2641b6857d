"""Remedies lab, the prepared comparisons: one Card per remedy of Jefkine 2018 (its text, equation
and runs) and the success-rate-against-length sweep, each a Lab the page and the record command
build alike."""

from __future__ import annotations

from dataclasses import dataclass, replace

from lessons.remedies.runtime import Lab
from lessons.remedies.specs import SEED_SEP, Knobs, RunSpec

__all__ = [
    "Card",
    "CARDS",
    "card_lab",
    "SUCCESS_METHODS",
    "SUCCESS_KNOBS",
    "SUCCESS_LENGTHS",
    "SUCCESS_SEEDS",
    "SUCCESS_RECORDED",
    "success_specs",
    "success_lab",
]


# ---------------------------------------------------------------------------------------
# The eleven cards of Jefkine 2018
# ---------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Card:
    """One remedy: what it changes, fixes and costs, and the comparison that shows it."""

    key: str
    title: str
    fixes_what: str  # "exploding" | "vanishing"
    equation: str  # LaTeX
    computed_by: str
    changes: str
    fixes: str
    costs: str
    knobs: Knobs
    specs: tuple
    expect: str  # what the prepared comparison is set up to show


def _s(label, model, remedies=(), seed=0, **ov):
    return RunSpec(label, model, tuple(remedies), seed, tuple(sorted(ov.items())))


_ADD20 = Knobs(task="adding", T=20, H=16, steps=400)
_ADD30 = Knobs(task="adding", T=30, H=16, steps=500)

CARDS = [
    Card(
        "clipping",
        "Gradient clipping",
        "exploding",
        r"\mathbf{g} \leftarrow \frac{\text{threshold}}{\|\mathbf{g}\|}\,\mathbf{g}"
        r"\quad\text{if } \|\mathbf{g}\| \ge \text{threshold} \qquad (13)",
        "gradcore.train.clip",
        "Rescales the whole gradient when its norm passes a threshold (or clips each entry by value).",
        "A single huge gradient at a cliff no longer throws the weights far away; the step keeps its direction.",
        "One more hyper-parameter, the threshold; too low a threshold slows learning to a crawl.",
        replace(_ADD20, activation="relu", optimiser="sgd", lr=0.05, H=32, steps=300),
        (
            _s("IRNN, no clipping", "rnn", ("identity",)),
            _s("IRNN + clip at 10", "rnn", ("identity", "clip"), clip_threshold=10.0),
            _s("IRNN + clip at 1", "rnn", ("identity", "clip"), clip_threshold=1.0),
            _s("IRNN + clip at 0.1", "rnn", ("identity", "clip"), clip_threshold=0.1),
        ),
        "ReLU RNN from the identity, plain SGD: the unclipped gradient norm spikes; clipped runs step at most "
        "the threshold.",
    ),
    Card(
        "tbptt",
        "Truncated BPTT",
        "exploding",
        r"\frac{\partial \mathbf{E}_t}{\partial \mathbf{W}} \approx \sum_{k=t-n+1}^{t}"
        r"\frac{\partial \mathbf{E}_t}{\partial \mathbf{h}_t}\frac{\partial \mathbf{h}_t}{\partial \mathbf{h}_k}"
        r"\frac{\partial \mathbf{h}_k}{\partial \mathbf{W}}",
        "gradcore.models.backward(tbptt=(k1, k2))",
        "Backpropagates only n = k2 steps into the past (Williams & Peng's BPTT(k1, k2)).",
        "The product of Jacobians has at most n factors, so it cannot grow without bound.",
        "Nothing further back than n steps can be learned: the markers of the adding problem sit beyond it.",
        _ADD20,
        (
            _s("LSTM, full BPTT", "lstm"),
            _s("LSTM + BPTT(10, 10)", "lstm", ("tbptt",), tbptt=(10, 10)),
            _s("LSTM + BPTT(4, 4)", "lstm", ("tbptt",), tbptt=(4, 4)),
        ),
        "With k = 4 the gradient from the end cannot reach a marked value more than 4 steps back; what each "
        "run ends at is below.",
    ),
    Card(
        "l1l2",
        "L1 / L2 penalty on W_hh",
        "exploding",
        r"\mathbf{E} + \lambda_1 \sum |W_{hh}| + \frac{\lambda_2}{2}\sum W_{hh}^2",
        "gradcore.regularisers.penalty",
        "Adds a penalty that pulls the recurrent weights towards 0.",
        "Pulls ||W_hh||_2 down; below 1/gamma_h (1 for tanh) gradients cannot explode. A spectral radius "
        "below 1 is not enough: a non-normal W_hh can still grow the gradient for many steps.",
        "Inputs then die out exponentially fast: the net forgets, so long-range dependencies are out of reach.",
        replace(_ADD30, steps=300),
        (
            _s("RNN, W_hh radius 1.5", "rnn", (), init="gaussian_radius", init_scale=1.5),
            _s("RNN + L2 0.1", "rnn", ("l1l2",), init="gaussian_radius", init_scale=1.5, l2=0.1),
            _s("RNN + L2 1", "rnn", ("l1l2",), init="gaussian_radius", init_scale=1.5, l2=1.0),
            _s("RNN + L1 0.01", "rnn", ("l1l2",), init="gaussian_radius", init_scale=1.5, l1=0.01),
        ),
        "Watch the spectral radius and the spectral norm of W_hh as the penalty pulls on them; the values "
        "at the end are below.",
    ),
    Card(
        "teacher_forcing",
        "Teacher forcing",
        "exploding",
        r"\mathbf{h}_t = f(\mathbf{W}_{hx}\,\mathbf{y}^{\text{target}}_{t-1} + \mathbf{W}_{hh}\mathbf{h}_{t-1}"
        r" + \mathbf{b}) \quad\text{instead of}\quad f(\mathbf{W}_{hx}\,\hat{\mathbf{y}}_{t-1} + \dots)",
        "gradcore.generation.value_and_grad_free",
        "During training the generator reads the true previous value instead of its own prediction.",
        "Training starts in the right region: no long closed loop to differentiate through early on.",
        "Needs a target at every step; at test time the net runs free and its own errors feed back.",
        Knobs(task="noisy_sine", T=30, H=16, lr=1e-2, steps=300),
        (_s("RNN + teacher forcing", "rnn", ("teacher_forcing",)), _s("RNN, free running", "rnn", ())),
        "Both run free at test time; compare the free-run error against the clean sine.",
    ),
    Card(
        "esn",
        "Echo state networks",
        "exploding",
        r"\mathbf{h}_t = \tanh(\mathbf{x}_t \mathbf{W}_{in} + \mathbf{h}_{t-1}\mathbf{W}), \quad"
        r"\mathbf{W}_{out} = (S^\top S + \beta I)^{-1} S^\top Y",
        "gradcore.esn",
        "Samples W_hx and W_hh once (spectral radius near 1) and fits only the readout, in closed form.",
        "No gradient flows through time at all, so nothing can explode; the fit takes well under a second.",
        "Memory is whatever the random reservoir keeps (at most H steps of i.i.d. input): long lags are lost.",
        replace(_ADD20, esn_H=200),
        (
            _s("ESN radius 0.5", "esn", esn_rho=0.5),
            _s("ESN radius 0.9", "esn", esn_rho=0.9),
            _s("ESN radius 1.2", "esn", esn_rho=1.2),
            _s("LSTM (for scale)", "lstm"),
        ),
        "The readout is fitted on 2,000 sequences; the score is on fresh ones.",
    ),
    Card(
        "hf",
        "Hessian-free with structural damping",
        "vanishing",
        r"q(\mathbf{d}) = \mathbf{g}^\top\mathbf{d} + \tfrac12\mathbf{d}^\top"
        r"(G + \lambda I + \lambda\mu\, J_h^\top J_h)\,\mathbf{d}",
        "gradcore.hf (gn_vector_product, cg)",
        "Takes Gauss-Newton steps (conjugate gradient on a damped quadratic model); structural damping "
        "also penalises changes of the hidden states.",
        "Curvature rescales directions independently, so weak long-range directions are not drowned out.",
        "Each step costs tens of forward/backward passes over a large fixed batch, and more knobs (lambda, mu).",
        replace(_ADD20, steps=300, hf_steps=20),
        (
            _s("HF, no structural damping", "hf"),
            _s("HF + structural damping", "hf", ("struct",)),
            _s("RNN + Adam (for scale)", "rnn"),
        ),
        "Hessian-free on a 200-sequence batch against Adam on fresh batches.",
    ),
    Card(
        "leaky",
        "Leaky integration units",
        "vanishing",
        r"h_{t,i} = \alpha_i h_{t-1,i} + (1-\alpha_i)\, f_{\mathbf{W}}(\mathbf{h}_{t-1}, \mathbf{x}_t)"
        r"\qquad (14)",
        "gradcore.models.forward (cell 'leaky')",
        "Each unit keeps a fraction alpha_i of its old state. Jefkine (2018) draws alpha_i ~ U(0.02, 0.2): "
        "read literally, that keeps 2-20 % per step, faster units, not slower; slow units need alpha near 1.",
        "Part of the Jacobian is diag(alpha): a path along which the gradient shrinks more slowly.",
        "With alpha < 1 gradients can still vanish, and they can still explode through f_W.",
        replace(_ADD30, steps=1500),
        (_s("RNN", "rnn"), _s("Leaky RNN", "leaky"), _s("Leaky RNN, alpha = 0.9", "leaky", alpha=0.9)),
        "Same task, same budget: plain, leaky with Jefkine's (2018) alphas taken literally, and slow units "
        "(alpha = 0.9).",
    ),
    Card(
        "omega",
        "Vanishing-gradient regulariser Omega",
        "vanishing",
        r"\Omega = \sum_k \left(\frac{\|\frac{\partial E}{\partial \mathbf{h}_{k+1}}"
        r"\frac{\partial \mathbf{h}_{k+1}}{\partial \mathbf{h}_k}\|}"
        r"{\|\frac{\partial E}{\partial \mathbf{h}_{k+1}}\|} - 1\right)^2 \qquad (15\text{-}16)",
        "gradcore.regularisers.omega",
        "Penalises Jacobians that shrink (or grow) the error signal along its own direction.",
        "Pushes the gradient to keep its size as it travels back: the early steps hear the loss.",
        "An extra backward sweep per step, a weight to tune, and it needs clipping beside it (Pascanu 2013).",
        replace(_ADD30, steps=2000),
        (
            _s("RNN + clipping", "rnn", ("clip",), init="gaussian_radius", init_scale=0.9),
            _s(
                "RNN + clipping + Omega 1",
                "rnn",
                ("clip", "omega"),
                init="gaussian_radius",
                init_scale=0.9,
                omega=1.0,
            ),
            _s(
                "RNN + clipping + Omega 4",
                "rnn",
                ("clip", "omega"),
                init="gaussian_radius",
                init_scale=0.9,
                omega=4.0,
            ),
        ),
        "Look at the per-step gradient norms: Omega flattens ||dL/dh_k|| over k.",
    ),
    Card(
        "lstm",
        "Long short-term memory",
        "vanishing",
        r"\mathbf{c}_t = \mathbf{f}_t \odot \mathbf{c}_{t-1} + \mathbf{i}_t \odot \mathbf{g}_t,\quad"
        r"\frac{\partial \mathbf{c}_t}{\partial \mathbf{c}_{t-1}}\Big|_{\text{cell}} = \operatorname{diag}(\mathbf{f}_t)",
        "gradcore.models.forward (cell 'lstm')",
        "Gated units with a cell state updated additively.",
        "Along the cell path the gradient is multiplied by the forget gates, not by W_hh: it can travel far.",
        "Four times the weights and the compute of an RNN of the same width.",
        _ADD30,
        (_s("RNN", "rnn"), _s("LSTM", "lstm")),
        "Same task, same budget, same width.",
    ),
    Card(
        "gru",
        "Gated recurrent units",
        "vanishing",
        r"\mathbf{h}_t = \mathbf{z}_t \odot \mathbf{h}_{t-1} + (1-\mathbf{z}_t)\odot \mathbf{n}_t",
        "gradcore.models.forward (cell 'gru')",
        "Two gates; the update gate z mixes the old state with a candidate.",
        "Where z is near 1 the state (and the gradient) passes through almost unchanged.",
        "Three times the weights and compute of an RNN; no separate cell state.",
        replace(_ADD20, steps=800),
        (_s("RNN", "rnn"), _s("GRU", "gru"), _s("LSTM", "lstm")),
        "Same task, same budget, same width.",
    ),
    Card(
        "orthogonal",
        "Orthogonal (and identity) initialisation",
        "vanishing",
        r"\mathbf{W}_{hh}^\top \mathbf{W}_{hh} = I \;\Rightarrow\; |\lambda_i(\mathbf{W}_{hh})| = 1",
        "gradcore.init.make_Wh",
        "Starts W_hh orthogonal (or the identity) instead of small random.",
        "At the start every eigenvalue has modulus 1: the Jacobian product neither shrinks nor grows "
        "because of W_hh alone.",
        "Only the start: training moves W_hh away from orthogonal, and tanh' < 1 still shrinks the product.",
        replace(_ADD30, steps=1500),
        (
            _s("RNN, uniform init", "rnn"),
            _s("RNN, Gaussian radius 1.5", "rnn", (), init="gaussian_radius", init_scale=1.5),
            _s("RNN, orthogonal init", "rnn", ("orthogonal",)),
            _s("RNN, identity init", "rnn", ("identity",)),
        ),
        "Four starting points for W_hh on the same task and budget.",
    ),
]


def card_lab(card: Card) -> Lab:
    """The card's comparison, untrained."""
    return Lab(list(card.specs), card.knobs, title=card.title)


# ---------------------------------------------------------------------------------------
# Success rate against length
# ---------------------------------------------------------------------------------------
SUCCESS_METHODS = {
    "lstm": ("LSTM", RunSpec("", "lstm")),
    "rnn": ("RNN", RunSpec("", "rnn")),
    "rnn_clip_omega": ("RNN + clipping + Omega", RunSpec("", "rnn", ("clip", "omega"))),
    "gru": ("GRU", RunSpec("", "gru")),
    "leaky": ("Leaky RNN", RunSpec("", "leaky")),
}
SUCCESS_KNOBS = Knobs(task="temporal_order", T=20, H=16, steps=500)
SUCCESS_LENGTHS = (10, 20, 30, 40)
SUCCESS_SEEDS = 3
SUCCESS_RECORDED = ("lstm", "rnn", "rnn_clip_omega")


def success_specs(method: str, lengths, seeds: int) -> list[RunSpec]:
    """One run of the method per length and seed."""
    base = SUCCESS_METHODS[method][1]
    return [
        replace(base, label=f"T={L}{SEED_SEP}{s}", seed=s, overrides=(("T", int(L)),))
        for L in lengths
        for s in range(seeds)
    ]


def success_lab(method: str, lengths, seeds: int, kn: Knobs = SUCCESS_KNOBS) -> Lab:
    """The success-vs-length sweep of one method, untrained."""
    return Lab(
        success_specs(method, lengths, seeds), kn, title=f"success vs length: {SUCCESS_METHODS[method][0]}"
    )
