"""Bank-detail rules: IBAN, BIC, RIB, payment modes, SEPA direct-debit blocks."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from lxml import etree

import pes_v2
from pes_v2.findings import Finding, Severity
from pes_v2.rules import tiers
from pes_v2.rules.bank import ics_valid
from pes_v2.testing import FlowSpec, build_flow

BASE = build_flow(FlowSpec(seed=5, depense=1, recette=1, pieces=1, lines=1))
D_LINE = "/n:PES_Aller/PES_DepenseAller[1]/Bordereau[1]/Piece[1]/LigneDePiece[1]"
R_LINE = "/n:PES_Aller/PES_RecetteAller[1]/Bordereau[1]/Piece[1]/LigneDePiece[1]"
D_CPTE = f"{D_LINE}/Tiers[1]/CpteBancaire[1]"
IBAN = "FR7630006000011234567890189"
BIC = "AGRIFRPP"
RIB = {"CodeEtab": "30006", "CodeGuic": "00001", "IdCpte": "12345678901", "CleRib": "89"}


def run(edit: Callable[[Any], object]) -> list[Finding]:
    root = etree.fromstring(BASE)
    edit(root)
    out = etree.tostring(root, encoding="ISO-8859-1", xml_declaration=True)
    return list(pes_v2.validate(out, schemas="embedded").findings)


def of(findings: list[Finding], rule: str) -> list[tuple[str | None, str | None]]:
    return [(f.xpath, f.value) for f in findings if f.rule == rule]


def account(
    fields: dict[str, str] | None, modregl: str = "03", domain: str = "depense"
) -> Callable[[Any], None]:
    """Give the first tiers of ``domain`` the bank details ``fields`` (None: none)."""
    tag = "PES_DepenseAller" if domain == "depense" else "PES_RecetteAller"

    def edit(root: Any) -> None:
        line = root.find(f"{tag}/Bordereau/Piece/LigneDePiece")
        tiers = line.find("Tiers")
        old = tiers.find("CpteBancaire")
        if old is not None:
            tiers.remove(old)
        if domain == "depense":
            line.find("BlocLignePiece/InfoLignePce/ModRegl").set("V", modregl)
        if fields is not None:
            cpte = etree.SubElement(tiers, "CpteBancaire")
            for name, value in {**fields, "TitCpte": "MARTIN"}.items():
                etree.SubElement(cpte, name, V=value)

    return edit


def bank_findings(findings: list[Finding]) -> list[str]:
    return [f.rule for f in findings if f.rule.startswith("PES-BNK")]


def test_valid_accounts_are_clean() -> None:
    assert bank_findings(run(lambda root: None)) == []
    assert bank_findings(run(account({"BIC": BIC, "IBAN": IBAN}))) == []
    assert bank_findings(run(account(RIB))) == []
    assert bank_findings(run(account(None, "02"))) == []
    assert bank_findings(run(account({"IBAN": IBAN}, domain="recette"))) == []


def test_iban_checksum_and_length() -> None:
    bad = IBAN[:2] + "77" + IBAN[4:]
    found = run(account({"BIC": BIC, "IBAN": bad}))
    assert of(found, "PES-BNK-001") == [(f"{D_CPTE}/IBAN[1]", bad)]
    assert next(f for f in found if f.rule == "PES-BNK-001").piece is not None
    short = "FR76300060000112345678901"
    assert of(run(account({"BIC": BIC, "IBAN": short})), "PES-BNK-001")
    assert not of(run(account({"BIC": BIC, "IBAN": "DE89370400440532013000"})), "PES-BNK-001")


def test_bic_shape() -> None:
    assert of(run(account({"BIC": "agrifrpp", "IBAN": IBAN})), "PES-BNK-002") == [
        (f"{D_CPTE}/BIC[1]", "agrifrpp")
    ]
    assert not of(run(account({"BIC": "AGRIFRPPXXX", "IBAN": IBAN})), "PES-BNK-002")


def test_iban_upper_case() -> None:
    lower = "FR76" + "30006000011234567890189".replace("1234", "12b4")
    found = run(account({"BIC": BIC, "IBAN": lower}))
    assert of(found, "PES-BNK-003") == [(f"{D_CPTE}/IBAN[1]", lower)]
    assert next(f for f in found if f.rule == "PES-BNK-003").severity is Severity.ERROR


def test_rib_key() -> None:
    found = run(account({**RIB, "CleRib": "88"}))
    assert of(found, "PES-BNK-004") == [(f"{D_CPTE}/CleRib[1]", "88")]
    assert "89" in next(f.message for f in found if f.rule == "PES-BNK-004")
    assert of(run(account({**RIB, "CleRib": ""})), "PES-BNK-004") == [(f"{D_CPTE}/CleRib[1]", "")]


def test_modregl_and_bank_details() -> None:
    where = f"{D_LINE}/BlocLignePiece[1]/InfoLignePce[1]/ModRegl[1]"
    assert of(run(account(None, "05")), "PES-BNK-005") == [(where, "05")]
    for mode in ("06", "10"):
        assert bank_findings(run(account(None, mode))) == []
        assert bank_findings(run(account({"IBAN": IBAN, "BIC": BIC}, mode))) == []
    for mode in ("01", "02", "04", "07", "08", "09", "11"):
        assert of(run(account(RIB, mode)), "PES-BNK-006") == [(where, mode)]


def test_idpayint_idbancint_together() -> None:
    found = run(account({"IdPayInt": "FR76", **RIB}))
    assert of(found, "PES-BNK-007") == [(f"{D_CPTE}/IdPayInt[1]", "FR76")]
    assert not of(run(account({"IdPayInt": "FR76", "IdBancInt": "ABC", **RIB})), "PES-BNK-007")


def test_foreign_account_needs_bic() -> None:
    de = "DE89370400440532013000"
    assert of(run(account({"IBAN": de})), "PES-BNK-008") == [(f"{D_CPTE}/IBAN[1]", de)]
    assert not of(run(account({"IBAN": IBAN})), "PES-BNK-008")
    assert not of(run(account({"IBAN": "RE7630006000011234567890189"})), "PES-BNK-008")


def sepa(**extra: str) -> Callable[[Any], None]:
    def edit(root: Any) -> None:
        bloc = root.find("PES_RecetteAller/Bordereau/Piece/LigneDePiece/BlocLignePiece")
        block = etree.Element("InfoPrelevementSEPA")
        fields = {
            "NatPrel": "01",
            "PerPrel": "07",
            "DtePrel": "2024-05-10",
            "MtPrel": "10.00",
            "SequencePres": "01",
            "DateSignMandat": "2024-01-10",
            "RefUniMdt": "RUM-0001",
            **extra,
        }
        for name, value in fields.items():
            etree.SubElement(block, name, V=value)
        bloc.find("InfoLignePiece").addnext(block)

    return edit


def both(*edits: Callable[[Any], None]) -> Callable[[Any], None]:
    def edit(root: Any) -> None:
        for e in edits:
            e(root)

    return edit


def test_sepa_needs_account() -> None:
    no_bank = both(account(None, domain="recette"), sepa())
    assert of(run(no_bank), "PES-BNK-009") == [
        (f"{R_LINE}/BlocLignePiece[1]/InfoPrelevementSEPA[1]", None)
    ]
    assert not of(run(both(account({"IBAN": IBAN}, domain="recette"), sepa())), "PES-BNK-009")


def test_ancien_ics() -> None:
    assert ics_valid("123456") and ics_valid("FR72ZZZ123456")
    assert not ics_valid("12345A") and not ics_valid("FR73ZZZ123456") and not ics_valid("FR72")
    found = run(both(account({"IBAN": IBAN}, domain="recette"), sepa(AncienICS="FR73ZZZ123456")))
    assert of(found, "PES-BNK-010") == [
        (f"{R_LINE}/BlocLignePiece[1]/InfoPrelevementSEPA[1]/AncienICS[1]", "FR73ZZZ123456")
    ]
    ok = both(account({"IBAN": IBAN}, domain="recette"), sepa(AncienICS="FR72ZZZ123456"))
    assert bank_findings(run(ok)) == []


def test_ancienne_banque() -> None:
    with_iban = sepa(SequencePres="02", AncienneBanque="1", AncienIBAN=IBAN)
    found = run(both(account({"IBAN": IBAN}, domain="recette"), with_iban))
    assert of(found, "PES-BNK-011") == [
        (f"{R_LINE}/BlocLignePiece[1]/InfoPrelevementSEPA[1]/AncienIBAN[1]", IBAN)
    ]
    rcur = sepa(SequencePres="03", AncienneBanque="1")
    found = run(both(account({"IBAN": IBAN}, domain="recette"), rcur))
    assert [(f.rule, f.severity) for f in found if f.rule.startswith("PES-BNK")] == [
        ("PES-BNK-012", Severity.WARNING)
    ]
    frst = sepa(SequencePres="02", AncienneBanque="1")
    assert bank_findings(run(both(account({"IBAN": IBAN}, domain="recette"), frst))) == []
    # An xs:boolean's whitespace collapses: " 1 " is 1.
    spaced = sepa(SequencePres="03", AncienneBanque=" 1 ")
    found = run(both(account({"IBAN": IBAN}, domain="recette"), spaced))
    assert [f.rule for f in found if f.rule.startswith("PES-BNK")] == ["PES-BNK-012"]


def test_every_french_iban_country_is_domestic() -> None:
    """Every territory whose IBAN is French-shaped (FR, 27 characters, RIB key) is a French
    domiciliation for PES-BNK-008: TF (Terres australes) was missing."""
    from pes_v2.identifiers import IBAN_LENGTHS
    from pes_v2.rules.bank import DOMESTIC_IBAN

    french = {"FR", "GF", "GP", "MQ", "RE", "YT", "PM", "BL", "MF", "NC", "PF", "WF", "TF"}
    assert french == DOMESTIC_IBAN
    assert all(IBAN_LENGTHS[country] == 27 for country in french)


def test_rib_key_checked_whatever_the_cache_holds() -> None:
    wrong = dict(RIB, CleRib="88")
    for _ in range(2):  # computed, then remembered: the same answer
        assert [v for _x, v in of(run(account(wrong)), "PES-BNK-004")] == ["88"]
        assert not of(run(account(RIB)), "PES-BNK-004")
    assert ("RIB", "30006\x0000001\x0012345678901\x0088") in tiers._VALID
