"""Index trees: every node agrees with R's survey package (svycontrast on the totals),
and the tree derived from the 2017 factors gives exactly today's factor and overall
figures.

R runs when Rscript is installed; its answers are kept under tests/stats/golden/ so
the comparison also runs where R is absent.
"""

from __future__ import annotations

import csv
import dataclasses
import json
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

from sipas.questionnaire import load_file
from sipas.stats.design import LonelyPsu, build_design
from sipas.stats.indices import NodeResult, Options, compute_indices
from sipas.stats.structure import factor_structure, index_structure
from sipas.stats.sums import criterion_sums
from sipas.stats.tree import NodeStructure, compute_tree
from tests.conftest import ROOT
from tests.stats.survey_data import (
    CRITERIA,
    POSTSTRATIFY_SPEC,
    RAKE_SPEC,
    write_survey_csv,
)

HERE = Path(__file__).resolve().parent
GOLDEN = HERE / "golden"
#: Relative differences allowed from R's figures (tests/stats/test_against_r.py).
TOLERANCE = 1e-12
INTERVAL_TOLERANCE = 1e-12


def close(mine: float, theirs: float, tolerance: float) -> bool:
    """``mine`` is ``theirs`` to ``tolerance`` of it (or both about zero)."""
    return abs(mine - theirs) <= tolerance * abs(theirs) + 1e-15


def leaf(code: str, weight: float = 1.0, pooled: bool = False) -> NodeStructure:
    """A node over the criteria whose codes start with ``code``."""
    criteria = tuple(c for c in CRITERIA if c.startswith(code))
    return NodeStructure(code, weight, pooled, criteria=criteria)


#: Two levels under the root: a mean of a mean leaf and a pooled leaf, a pooled node
#: over two leaves, and a leaf that few answer; unequal weights at each level.
TREE = NodeStructure(
    "overall",
    children=(
        NodeStructure("policy", 2.0, children=(leaf("A"), leaf("B", 3.0, pooled=True))),
        NodeStructure("services", 1.0, pooled=True, children=(leaf("C"), leaf("D"))),
        leaf("E", 0.5),
    ),
)


@dataclasses.dataclass
class Sample:
    strata: list[str]
    psus: list[str]
    weights: np.ndarray
    answers: np.ndarray
    groups: np.ndarray


def read_sample(path: Path) -> Sample:
    """The generated file as arrays (blank and 9 are no answer)."""
    with path.open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    answers = np.array(
        [
            [float(row[c]) if row[c] not in ("", "9") else np.nan for c in CRITERIA]
            for row in rows
        ]
    )
    return Sample(
        [row["stratum"] for row in rows],
        [row["psu"] for row in rows],
        np.array([float(row["weight"]) for row in rows]),
        answers,
        np.array([row["group"] for row in rows]),
    )


def ours(sample: Sample, root: NodeStructure, options: Options, group=None):
    design, psu_of_row = build_design(sample.strata, sample.psus)
    in_domain = None if group is None else sample.groups == group
    sums = criterion_sums(
        design.n_psus, psu_of_row, sample.weights, sample.answers, in_domain
    )
    return design, sums, compute_tree(design, sums, CRITERIA, root, options)


def r_tree(
    tmp_path: Path, csv_path: Path, lonely: str, calibration: str | None = None
) -> dict:
    """R's numbers for TREE (fresh when Rscript is there, kept as golden)."""
    name = "-".join(part for part in ("tree", lonely, calibration) if part)
    golden = GOLDEN / f"{name}.json"
    if not shutil.which("Rscript"):
        if not golden.exists():
            pytest.fail(f"neither Rscript nor {golden} is available")
        return json.loads(golden.read_text())
    tree_path = tmp_path / "tree.json"
    tree_path.write_text(json.dumps(dataclasses.asdict(TREE)), encoding="utf-8")
    completed = subprocess.run(
        [
            "Rscript",
            str(HERE / "tree.R"),
            str(csv_path),
            str(tree_path),
            lonely,
            "0.95",
            "group",
            *calibration_file(tmp_path, calibration),
        ],
        capture_output=True,
        text=True,
        check=True,
        timeout=300,
    )
    result = json.loads(completed.stdout)
    if not golden.exists() or json.loads(golden.read_text()) != result:
        golden.write_text(json.dumps(result, indent=1, sort_keys=True) + "\n")
    return result


def calibration_file(tmp_path: Path, calibration: str | None) -> list[str]:
    """The calibration spec written for both sides, as an argument list."""
    if calibration is None:
        return []
    path = tmp_path / "calibration.json"
    spec = {"poststratify": POSTSTRATIFY_SPEC, "rake": RAKE_SPEC}[calibration]
    path.write_text(json.dumps(spec), encoding="utf-8")
    return [str(path)]


def compare(mine: NodeResult, theirs: list[dict], where: str) -> None:
    nodes = list(mine.walk())
    assert [n.code for n in nodes] == [t["code"] for t in theirs]
    for node, reference in zip(nodes, theirs, strict=True):
        name = f"{where} {node.code}"
        assert node.estimate.df == reference["df"], name
        assert close(node.estimate.value, reference["index"], TOLERANCE), name
        assert close(node.estimate.se, reference["se"], TOLERANCE), name
        for bound, value in enumerate((node.interval.lower, node.interval.upper)):
            assert close(value, reference["ci"][bound], INTERVAL_TOLERANCE), name


@pytest.mark.parametrize("lonely", ["adjust", "certainty", "average"])
def test_every_node_of_a_two_level_tree_agrees_with_r(tmp_path, lonely):
    csv_path = write_survey_csv(tmp_path / "survey.csv")
    sample = read_sample(csv_path)
    options = Options(lonely_psu=LonelyPsu(lonely))
    theirs = r_tree(tmp_path, csv_path, lonely)
    compare(ours(sample, TREE, options)[2], theirs["nodes"], "all")
    for group in theirs["groups"]:
        mine = ours(sample, TREE, options, group["value"])[2]
        compare(mine, group["nodes"], f"group {group['value']}")


def test_a_pooled_node_is_not_the_mean_of_its_children(tmp_path):
    sample = read_sample(write_survey_csv(tmp_path / "survey.csv"))
    services = ours(sample, TREE, Options())[2].children[1]
    c, d = (child.estimate.value for child in services.children)
    assert services.estimate.value != pytest.approx((c + d) / 2)
    assert min(c, d) < services.estimate.value < max(c, d)


def test_the_2017_files_derived_tree_gives_todays_factors_and_overall(tmp_path):
    questionnaire = load_file(ROOT / "questionnaires" / "sipas-2017.yaml").questionnaire
    assert tuple(c.code for c in questionnaire.criteria) == tuple(CRITERIA)
    sample = read_sample(write_survey_csv(tmp_path / "survey.csv"))
    options = Options()
    design, sums, tree = ours(sample, index_structure(questionnaire), options)
    today = compute_indices(
        design, sums, CRITERIA, factor_structure(questionnaire), options
    )
    pairs = [(tree, today.overall)]
    pairs += list(zip(tree.children, today.factors, strict=True))
    for node, result in pairs:
        assert node.code == result.code
        assert node.estimate.value == result.estimate.value
        assert node.estimate.variance == result.estimate.variance
        assert node.estimate.deff == result.estimate.deff
        assert node.estimate.df == result.estimate.df
        assert node.interval == result.interval


#: TREE written in the questionnaire format, appended to the 2017 file.
TREE_YAML = """
indices:
  - code: policy
    label: {vi: "Chính sách", en: "Policy"}
    weight: 2
    children:
      - {code: pA, label: {vi: "A", en: "A"}, items: [A1, A2, A3, A4]}
      - {code: pB, label: {vi: "B", en: "B"}, weight: 3, aggregate: pooled,
         items: [B1, B2, B3, B4, B5]}
  - code: services
    label: {vi: "Dịch vụ", en: "Services"}
    aggregate: pooled
    children:
      - {code: sC, label: {vi: "C", en: "C"}, items: [C1, C2, C3, C4, C5, C6]}
      - {code: sD, label: {vi: "D", en: "D"}, items: [D1, D2, D3]}
  - {code: sE, label: {vi: "E", en: "E"}, weight: 0.5, items: [E1, E2, E3, E4]}
"""


def stats_json(runner, *args: str) -> dict:
    result = runner.invoke(args=["sipas", "stats", *args, "--by", "group"])
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def flatten(node: dict) -> list[dict]:
    return [node, *(n for child in node["children"] for n in flatten(child))]


@pytest.mark.parametrize("calibration", [None, "rake"])
def test_the_stats_json_has_the_2017_tree_beside_todays_fields(
    runner, tmp_path, calibration
):
    csv_path = write_survey_csv(tmp_path / "survey.csv")
    spec = calibration_file(tmp_path, calibration)
    extra = ["--calibrate", *spec] if spec else []
    document = stats_json(
        runner, str(csv_path), "--questionnaire", "sipas-2017", *extra
    )
    for domain in [document, *document["groups"]]:
        root = domain["indices"]
        assert root["code"] == "overall"
        assert {k: v for k, v in root.items() if k not in ("code", "children")} == (
            domain["overall"]
        )
        assert [
            {k: v for k, v in n.items() if k != "children"} for n in root["children"]
        ] == domain["factors"]
        assert all(n["children"] == [] for n in root["children"])


@pytest.mark.parametrize("calibration", [None, "poststratify", "rake"])
def test_a_declared_tree_in_the_stats_json_agrees_with_r(runner, tmp_path, calibration):
    source = (ROOT / "questionnaires" / "sipas-2017.yaml").read_text(encoding="utf-8")
    questionnaire = tmp_path / "tree.yaml"
    questionnaire.write_text(source + TREE_YAML, encoding="utf-8")
    csv_path = write_survey_csv(tmp_path / "survey.csv")
    spec = calibration_file(tmp_path, calibration)
    extra = ["--calibrate", *spec] if spec else []
    document = stats_json(
        runner, str(csv_path), "--questionnaire", str(questionnaire), *extra
    )
    theirs = r_tree(tmp_path, csv_path, "adjust", calibration)
    domains = [(document, theirs["nodes"])]
    domains += [
        (mine, group["nodes"])
        for mine, group in zip(document["groups"], theirs["groups"], strict=True)
    ]
    for mine, reference in domains:
        nodes = flatten(mine["indices"])
        assert len(nodes) == len(reference)
        for node, expected in zip(nodes, reference, strict=True):
            assert node["df"] == expected["df"]
            assert close(node["index"], expected["index"], TOLERANCE)
            assert close(node["se"], expected["se"], TOLERANCE)
            for bound in (0, 1):
                assert close(
                    node["ci"][bound], expected["ci"][bound], INTERVAL_TOLERANCE
                )


def test_a_declared_trees_sipas_and_domains_are_in_the_json_and_the_table(
    runner, tmp_path
):
    source = (ROOT / "questionnaires" / "sipas-2017.yaml").read_text(encoding="utf-8")
    questionnaire = tmp_path / "tree.yaml"
    questionnaire.write_text(source + TREE_YAML, encoding="utf-8")
    csv_path = write_survey_csv(tmp_path / "survey.csv")
    args = ["sipas", "stats", str(csv_path), "--questionnaire", str(questionnaire)]
    document = json.loads(runner.invoke(args=args).output)
    root = document["indices"]
    # SIPAS is the declared root (policy weighs 2, sE 0.5), not the factors' mean
    assert document["overall"] == {
        k: v for k, v in root.items() if k not in ("code", "children")
    }
    factor_mean = sum(f["index"] for f in document["factors"]) / 5
    assert root["index"] != pytest.approx(factor_mean, abs=1e-6)
    table = runner.invoke(args=[*args, "--format", "table"]).output.splitlines()
    for domain in root["children"][:2]:
        line = next(line for line in table if line.startswith(f"{domain['code']} "))
        assert f"{domain['index'] * 100:.2f}%".replace(".", ",") in line
    assert not any(line.startswith("sE ") for line in table)  # a leaf, no domain
