"""The prompt's context within the token budget: what is kept whole, shortened, left out."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

import gotools
from dataset.context import fit_prompt
from dataset.counts import Counts
from dataset.prompts import HEADINGS, prompt_messages
from dataset.targets import BODY_OMITTED, CONSTRUCTOR, TRANSITIVE, USES, Snippet, package_targets
from dataset.tokens import TokenCounter

# A package of our own in which Cart.Total uses a small type and helper, one helper whose body is
# far larger than the rest, and reaches more declarations through them.
STEPS = "\n".join(f"\t\tcase {i}:\n\t\t\tsum -= sum * {i} / 1000" for i in range(60))
SHOP = f"""\
package shop

import (
\t"errors"
\t"strings"
)

// ErrNoItem is returned for an item without a price.
var ErrNoItem = errors.New("no such item")

// Cart holds items and their quantities.
type Cart struct {{
\titems map[string]int
\trules []Rule
}}

// Rule takes a percentage off a price.
type Rule struct{{ Percent int }}

// NewCart makes an empty cart that applies rules in order.
func NewCart(rules ...Rule) *Cart {{
\tc := &Cart{{items: map[string]int{{}}, rules: rules}}
\treturn c
}}

// Unrelated makes nothing Total needs.
func Unrelated() int {{
\treturn 1
}}

// Total is the price of the cart after its rules.
func (c *Cart) Total(prices map[string]int) (int, error) {{
\tsum := 0
\tfor name, n := range c.items {{
\t\tp, err := price(prices, name)
\t\tif err != nil {{
\t\t\treturn 0, err
\t\t}}
\t\tsum += p * n
\t}}
\treturn discount(sum, c.rules), nil
}}

// price looks one price up, whatever the case of the name.
func price(prices map[string]int, name string) (int, error) {{
\tp, ok := prices[strings.ToLower(name)]
\tif !ok {{
\t\treturn 0, ErrNoItem
\t}}
\treturn p, nil
}}

// discount applies the rules in order, then a step per rule count, and never goes below zero
// nor above the sum it was given.
func discount(sum int, rules []Rule) int {{
\tstart := sum
\tfor _, r := range rules {{
\t\tsum -= sum * r.Percent / 100
\t\tswitch len(rules) {{
{STEPS}
\t\t}}
\t}}
\treturn clamp(sum, 0, start)
}}

// clamp keeps v within lo and hi, the bounds included, whichever way round they are given,
// and is long enough that its body is worth leaving out when the budget is short.
func clamp(v, lo, hi int) int {{
\tif lo > hi {{
\t\tlo, hi = hi, lo
\t}}
\tif v < lo {{
\t\treturn lo
\t}}
\tif v > hi {{
\t\treturn hi
\t}}
\treturn v
}}
"""


@pytest.fixture(scope="module")
def total(tmp_path_factory):
    folder: Path = tmp_path_factory.mktemp("shop")
    (folder / "go.mod").write_text("module example.com/shop\n\ngo 1.21\n")
    (folder / "shop.go").write_text(SHOP)
    funcs = gotools.run("funcs", dir=str(folder))
    targets = package_targets(".", folder, funcs, ["shop.go"], "function", Counts())
    return next(t for t in targets if t.function == "Cart.Total")


def by_name(target) -> dict:
    return {d.name: d for d in target.declarations}


def test_the_declarations_are_offered_by_role_and_depth(total):
    offered = [(d.role, d.name) for d in total.declarations]
    assert offered == [
        (USES, "Cart"),
        (USES, "price"),
        (USES, "discount"),
        (CONSTRUCTOR, "NewCart"),
        (TRANSITIVE, "ErrNoItem"),
        (TRANSITIVE, "Rule"),
        (TRANSITIVE, "clamp"),
    ]
    assert "Unrelated" not in by_name(total)
    assert total.imports == 'import (\n\t"errors"\n\t"strings"\n)\n'
    # A function's signature keeps its doc comment and drops its body; a type has none.
    clamp = by_name(total)["clamp"]
    assert clamp.signature == (
        "// clamp keeps v within lo and hi, the bounds included, whichever way round they are "
        "given,\n// and is long enough that its body is worth leaving out when the budget is "
        f"short.\nfunc clamp(v, lo, hi int) int {{\n{BODY_OMITTED}\n}}\n"
    )
    assert by_name(total)["Cart"].signature is None


def test_a_prompt_whose_context_fits_shows_everything_whole_and_constructors_by_signature(total):
    tokens = TokenCounter()
    fitted = fit_prompt(total, tokens, 100_000)
    assert fitted.left_out == 0 and fitted.shortened == 1
    user = fitted.messages[1]["content"]
    assert total.imports in user and total.source in user
    for declaration in total.declarations:
        if declaration.role == CONSTRUCTOR:
            assert declaration.signature.rstrip() in user
            assert "c := &Cart" not in user
        else:
            assert declaration.text.rstrip() in user


def test_a_prompt_over_the_budget_keeps_the_target_and_shortens_in_order_of_use(total):
    tokens = TokenCounter()
    names = by_name(total)
    # The budget of: the imports, Cart and price whole, discount and NewCart by signature, the
    # two small transitive declarations whole, and a little less than clamp's signature needs.
    expected = [
        Snippet(names["Cart"], False),
        Snippet(names["price"], False),
        Snippet(names["discount"], True),
        Snippet(names["NewCart"], True),
        Snippet(names["ErrNoItem"], False),
        Snippet(names["Rule"], False),
    ]
    budget = tokens.count(prompt_messages(total, expected))
    assert fit_prompt(total, tokens, 100_000).tokens > budget
    fitted = None
    for slack in range(0, 40):  # the choice works on estimates of each piece; find its margin
        fitted = fit_prompt(total, tokens, budget + slack)
        if fitted.context == expected:
            break
    assert fitted is not None and fitted.context == expected, [
        (s.declaration.name, s.shortened) for s in fitted.context
    ]
    assert fitted.tokens <= budget + slack
    assert fitted.left_out == 1 and fitted.shortened == 2
    user = fitted.messages[1]["content"]
    # The target whole, and every declaration whole, by signature, or not at all: never cut.
    assert total.source.rstrip() in user and total.imports in user
    for declaration in total.declarations:
        shown = [s for s in expected if s.declaration == declaration]
        body = declaration.text.rstrip().splitlines()[-2]  # the last line of the body
        if not shown:
            assert declaration.text.splitlines()[0] not in user
        elif shown[0].shortened:
            assert declaration.signature.rstrip() in user and body not in user
        else:
            assert declaration.text.rstrip() in user
    # The blocks come in order of use: what it uses, its constructors, what those use.
    headings = [HEADINGS[role][0] for role in (USES, CONSTRUCTOR, TRANSITIVE)]
    positions = [user.index(h) for h in headings]
    assert positions == sorted(positions)
    assert user.index(total.source.rstrip()) < positions[0]


def test_only_a_target_over_the_budget_on_its_own_is_dropped(total):
    tokens = TokenCounter()
    bare = tokens.count(prompt_messages(total, [], imports=False))
    assert fit_prompt(total, tokens, bare - 1) is None
    alone = fit_prompt(total, tokens, bare)
    assert alone is not None and alone.tokens <= bare and alone.context == []
    assert total.source.rstrip() in alone.messages[1]["content"]


def test_the_budget_holds_with_an_exact_tokenizer(total, tmp_path):
    from tokenizers import Tokenizer, models, pre_tokenizers, trainers

    tokenizer = Tokenizer(models.BPE(unk_token="[UNK]"))
    tokenizer.pre_tokenizer = pre_tokenizers.ByteLevel()
    tokenizer.train_from_iterator(
        [SHOP, textwrap.dedent(SHOP)], trainers.BpeTrainer(vocab_size=400, special_tokens=["[UNK]"])
    )
    tokenizer.save(str(tmp_path / "tokenizer.json"))
    tokens = TokenCounter(str(tmp_path / "tokenizer.json"))
    full = fit_prompt(total, tokens, 100_000).tokens
    bare = tokens.count(prompt_messages(total, [], imports=False))
    for budget in range(bare, full, max(1, (full - bare) // 25)):
        fitted = fit_prompt(total, tokens, budget)
        assert fitted.tokens <= budget
        assert total.source.rstrip() in fitted.messages[1]["content"]
        # What is shown comes first in the order of use: never a later one for an earlier one.
        order = [total.declarations.index(s.declaration) for s in fitted.context]
        assert order == sorted(order)
