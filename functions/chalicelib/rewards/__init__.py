"""The reward engine: what a verified report earns, and why, under a named rule set.

The amounts, caps, conditions and every sentence a reporter or an officer reads are data
(``chalicelib/rulesets/*.toml``), each rule naming its source with a certainty tag, because
the regulations behind them are only partly confirmed: where a figure was not found the
rule set says so, and the calculator answers "not determinable" instead of inventing one.

This package is the authority: it validates the data, evaluates a case, and exports the
same data as JSON for the site's ``reward-engine.js``, which interprets it with the same
algorithm (the tests check that both agree exactly). Arithmetic is exact (fractions), and
the input bounds in ``schema`` keep every intermediate value an integer below 2**53, so the
JavaScript twin computes the same numbers with plain doubles.

The algorithm, in both languages:

1. eligibility conditions in order; the first one not met means nothing is paid;
2. the kind's formula gives an amount (or a range for officers to decide within), or says
   why no amount can be determined;
3. employee uplift, the maximum single reward, rounding to whole yuan (rounding mode per
   rule set), then an equal split of a joint report, each share rounded down.

One module per job, each importing only the ones before it:

* ``schema``: the shape of a rule set and of the shared engine data (pydantic models), the
  input bounds, and ``RuleSetError``;
* ``loader``: reads ``rulesets/*.toml``, resolves ``extends`` and cited source ids, and
  validates the result against ``schema`` (cached); knows the office's default rule set;
* ``case``: ``RewardCase``, the facts of one case, validated as strictly as the calculator
  form validates them;
* ``engine``: ``evaluate``, which applies a rule set to a case and returns a
  ``RewardResult`` with every step in words and cited; ``format_amount``;
* ``export``: ``export_rule_sets``, the JSON the site's calculator reads.
"""
