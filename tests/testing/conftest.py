"""Fixtures for the flow builder tests: the official XSD and an independent rule oracle."""

from __future__ import annotations

import base64
import binascii
import functools
import gzip
import re
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from lxml import etree

from pes_v2.identifiers import bic_valid, iban_valid, rib_valid, siret_valid
from pes_v2.testing import xpath_of

Problem = tuple[str, str]


@functools.lru_cache(maxsize=2)
def _schema(path: Path) -> Any:
    return etree.XMLSchema(etree.parse(str(path)))


@pytest.fixture(scope="session")
def official_xsd(shared_reference: Path) -> Any:
    """The official v5.30 PES_Aller schema compiled by plain lxml (cached per process)."""
    return _schema(shared_reference / "xsd/schemas_pes_v5.30/PES_V2/Rev0/PES_Aller.xsd")


def parse(data: bytes) -> Any:
    parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=True)
    return etree.fromstring(data, parser)


def _v(el: Any, path: str) -> str | None:
    found = el.find(path)
    return None if found is None else found.get("V")


def check_business(root: Any) -> list[Problem]:
    """What the generator promises beyond the XSD (pes-rules §9, items 2–11), as
    (rule id, XPath) pairs. Written independently of pes_v2.testing on purpose."""
    out: list[Problem] = []

    def bad(rule: str, el: Any) -> None:
        out.append((rule, xpath_of(el)))

    idcoll = root.find("EnTetePES/IdColl")
    if not siret_valid(idcoll.get("V")):
        bad("PES-HDR-001", idcoll)
    if _v(root, "Enveloppe/Parametres/Version") != "2":
        bad("ENV-VERSION", root.find("Enveloppe/Parametres/Version"))
    signed = root.find(".//{http://www.w3.org/2000/09/xmldsig#}Signature") is not None
    for head in root.xpath("PES_DepenseAller/EnTeteDepense | PES_RecetteAller/EnTeteRecette"):
        if _v(head, "IdVer") != "2":
            bad("PES-HDR-002", head.find("IdVer"))
        if _v(head, "InfoDematerialisee") not in (("1",) if signed else ("0", None)):
            bad("DEMAT", head)
    pj_ids: dict[str, Any] = {}
    for pj in root.xpath("PES_PJ/PJ"):
        uid = pj.find("IdUnique")
        if uid.get("V") in pj_ids:
            bad("PES-DUP-004", uid)
        pj_ids.setdefault(uid.get("V"), pj)
        fichier = pj.find("Contenu/Fichier")
        try:
            raw = base64.b64decode(re.sub(r"\s+", "", fichier.text or ""), validate=True)
        except binascii.Error:
            bad("PES-PJ-001", fichier)
            continue
        try:
            if raw[:2] != b"\x1f\x8b" or not gzip.decompress(raw):
                bad("PES-PJ-002", fichier)
        except (OSError, EOFError):
            bad("PES-PJ-002", fichier)
    if root.find("PES_PJ") is not None and _v(root, "PES_PJ/EnTetePES_PJ/IdVer") != "1":
        bad("PJ-IDVER", root.find("PES_PJ/EnTetePES_PJ/IdVer"))
    for ref in root.xpath(".//PJRef[Support/@V='01']/IdUnique"):
        if ref.get("V") not in pj_ids:
            bad("PES-PJ-003", ref)
    for dom in root.xpath("PES_DepenseAller | PES_RecetteAller"):
        depense = dom.tag == "PES_DepenseAller"
        seen_bord: set[tuple[str | None, ...]] = set()
        for bord in dom.findall("Bordereau"):
            bloc = bord.find("BlocBordereau")
            key = (_v(bloc, "Exer"), _v(bloc, "TypBord"), _v(bloc, "IdBord"))
            if key in seen_bord:
                bad("PES-DUP-001", bloc.find("IdBord"))
            seen_bord.add(key)
            pieces = bord.findall("Piece")
            if int(_v(bloc, "NbrPce") or 0) != len(pieces):
                bad("PES-TOT-002", bloc.find("NbrPce"))
            ht = tva = Decimal(0)
            seen_pce: set[str | None] = set()
            for piece in pieces:
                idpce = piece.find("BlocPiece//IdPce")
                if idpce.get("V") in seen_pce:
                    bad("PES-DUP-002", idpce)
                seen_pce.add(idpce.get("V"))
                seen_line: set[str | None] = set()
                for line in piece.findall("LigneDePiece"):
                    info = line.find("BlocLignePiece/*[1]")
                    idl = info.find("IdLigne")
                    if idl.get("V") in seen_line:
                        bad("PES-DUP-003", idl)
                    seen_line.add(idl.get("V"))
                    ht += Decimal(_v(info, "MtHT") or "0")
                    tva += Decimal(_v(info, "MtTVA") or "0")
                    modregl = _v(info, "ModRegl")
                    for tiers in line.findall("Tiers"):
                        out.extend(_check_tiers(tiers, modregl if depense else None))
            total = bloc.find("MtBordHT" if depense else "MtBordHt")
            if Decimal(total.get("V")) != ht:
                bad("PES-TOT-001", total)
            mtva = bloc.find("MtBordTVA")
            if (mtva is None and tva > 0) or (mtva is not None and Decimal(mtva.get("V")) != tva):
                bad("TOT-TVA", bloc)
    return out


def _check_tiers(tiers: Any, modregl: str | None) -> list[Problem]:
    out: list[Problem] = []
    info = tiers.find("InfoTiers")
    if _v(info, "NatIdTiers") == "01" and not siret_valid(_v(info, "IdTiers") or ""):
        out.append(("TIERS-SIRET", xpath_of(info.find("IdTiers"))))
    person = _v(info, "CatTiers") == "01"
    if person != (info.find("Civilite") is not None) or person != (info.find("Prenom") is not None):
        out.append(("TIERS-CIVILITE", xpath_of(info)))
    cpte = tiers.find("CpteBancaire")
    if modregl in ("03", "05") and cpte is None:
        out.append(("BNK-MISSING", xpath_of(tiers)))
    if modregl in ("01", "02", "04", "07", "08", "09", "11") and cpte is not None:
        out.append(("BNK-FORBIDDEN", xpath_of(cpte)))
    if cpte is not None:
        if cpte.find("IBAN") is not None and not iban_valid(_v(cpte, "IBAN") or ""):
            out.append(("PES-BNK-001", xpath_of(cpte.find("IBAN"))))
        if cpte.find("BIC") is not None and not bic_valid(_v(cpte, "BIC") or ""):
            out.append(("PES-BNK-002", xpath_of(cpte.find("BIC"))))
        if cpte.find("CleRib") is not None and not rib_valid(
            *(_v(cpte, t) or "" for t in ("CodeEtab", "CodeGuic", "IdCpte", "CleRib"))
        ):
            out.append(("BNK-RIB", xpath_of(cpte.find("CleRib"))))
    return out


@pytest.fixture(scope="session")
def business_oracle() -> Callable[[Any], list[Problem]]:
    """``check_business(root) -> [(rule, xpath)]``: an empty list for a correct flow."""
    return check_business
