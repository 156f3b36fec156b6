"""Fixtures for the flow builder tests: the official XSD and an independent rule oracle."""

from __future__ import annotations

import base64
import binascii
import functools
import re
import zlib
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
        bad("PES-HDR-004", root.find("Enveloppe/Parametres/Version"))
    signed = root.find(".//{http://www.w3.org/2000/09/xmldsig#}Signature") is not None
    for head in root.xpath("PES_DepenseAller/EnTeteDepense | PES_RecetteAller/EnTeteRecette"):
        if _v(head, "IdVer") != "2":
            bad("PES-HDR-002", head.find("IdVer"))
        demat = head.find("InfoDematerialisee")
        if signed and _v(head, "InfoDematerialisee") != "1":
            bad("PES-HDR-010", head if demat is None else demat)
        if not signed and _v(head, "InfoDematerialisee") == "1":
            bad("PES-HDR-009", demat)
    pj_ids: dict[str, Any] = {}
    for pj in root.xpath("PES_PJ/PJ"):
        uid = pj.find("IdUnique")
        if uid.get("V") in pj_ids:
            bad("PES-DUP-004", uid)
        pj_ids.setdefault(uid.get("V"), pj)
        out.extend(_check_pj_refcompta(pj))
        fichier = pj.find("Contenu/Fichier")
        try:
            raw = base64.b64decode(re.sub(r"\s+", "", fichier.text or ""), validate=True)
        except binascii.Error:
            bad("PES-PJ-001", fichier)
            continue
        try:
            if raw[:2] != b"\x1f\x8b":
                bad("PES-PJ-002", fichier)
                continue
            head, size = _gunzip_capped(raw)
        except (OSError, EOFError, zlib.error):
            bad("PES-PJ-002", fichier)
            continue
        if size > 200_000_000:
            bad("PES-PJ-004", fichier)
        elif size == 0:
            bad("PES-PJ-005", fichier)
        elif head.startswith(b"%PDF-") and fichier.get("MIMEType") != "application/pdf":
            bad("PES-PJ-009", fichier)
    if root.find("PES_PJ") is not None and _v(root, "PES_PJ/EnTetePES_PJ/IdVer") != "1":
        bad("PES-HDR-003", root.find("PES_PJ/EnTetePES_PJ/IdVer"))
    for ref in root.xpath(".//PJRef[Support/@V='01']/IdUnique"):
        if ref.get("V") not in pj_ids:
            bad("PES-PJ-003", ref)
    for ref in root.xpath(".//PJRef[Support/@V='02' or Support/@V='03']"):
        if _v(ref, "IdUnique") in pj_ids:
            bad("PES-PJ-008", ref.find("Support"))
    for dom, kinds in (("PES_DepenseAller", _TYPES_D), ("PES_RecetteAller", _TYPES_R)):
        for typepj in root.xpath(f"{dom}//PJRef/TypePJ"):
            if typepj.get("V") not in kinds:
                bad("PES-PJ-012", typepj)
    out.extend(_check_lint(root))
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
                    modregl = info.find("ModRegl") if depense else None
                    has_bank = line.find("Tiers/CpteBancaire") is not None
                    if modregl is not None and modregl.get("V") in ("03", "05") and not has_bank:
                        bad("PES-BNK-005", modregl)
                    if modregl is not None and modregl.get("V") in _NO_BANK and has_bank:
                        bad("PES-BNK-006", modregl)
                    typpce = (
                        _v(piece, "BlocPiece/InfoPce/TypPce"),
                        _v(piece, "BlocPiece/InfoPce/NatPce"),
                    )
                    assure = _v(line, "BlocLignePiece/InfoAssure/CodAssDeb") == "1"
                    for tiers in line.findall("Tiers"):
                        nir_ok = typpce == ("02", "09") if depense else assure
                        out.extend(_check_tiers(tiers, depense, nir_ok))
            total = bloc.find("MtBordHT" if depense else "MtBordHt")
            if Decimal(total.get("V")) != ht:
                bad("PES-TOT-001", total)
            mtva = bloc.find("MtBordTVA")
            declared = None if mtva is None else Decimal(mtva.get("V"))
            if declared is not None and declared > 0 and tva == 0:
                bad("PES-TOT-003", mtva)
            elif tva > 0 and (declared is None or declared == 0):
                bad("PES-TOT-004", bloc if mtva is None else mtva)
            elif declared is not None and declared != tva:
                bad("PES-TOT-005", mtva)
            if depense and _v(bloc, "TypBord") == "04":
                bad("PES-DEP-001", bloc.find("TypBord"))
            for piece in pieces if depense else ():
                info = piece.find("BlocPiece/InfoPce")
                triplet = "-".join(
                    (_v(bloc, "TypBord") or "", _v(info, "TypPce") or "", _v(info, "NatPce") or "")
                )
                needs = triplet in ("02-02-06", "01-02-09", "01-13-01", "02-02-10", "01-07-01")
                if needs and piece.xpath("LigneDePiece/BlocLignePiece[not(RattachPiece)]"):
                    bad("PES-DEP-002", info.find("TypPce"))
    return out


_NO_BANK = ("01", "02", "04", "07", "08", "09", "11")


_TYPES_D = {"003", "004", "005", "006"}
_TYPES_R = {"002", "006", "007", "008", "010", "011", "014"}


def _gunzip_capped(raw: bytes, cap: int = 200_000_000) -> tuple[bytes, int]:
    """First bytes and size of a (multi-member) gzip stream, inflating at most ``cap``."""
    head, size, data = b"", 0, raw
    while data and size <= cap:
        inflater = zlib.decompressobj(31)
        chunk = inflater.decompress(data, 1 << 20)
        while chunk and size <= cap:
            head, size = head or chunk[:16], size + len(chunk)
            chunk = inflater.decompress(inflater.unconsumed_tail, 1 << 20)
        if size <= cap and not inflater.eof:
            raise EOFError("truncated")
        data = inflater.unused_data
    return head, size


def _check_pj_refcompta(pj: Any) -> list[Problem]:
    out: list[Problem] = []
    typepj = _v(pj, "TypePJ")
    if typepj in ("012", "013") and pj.find("RefCompta") is None:
        out.append(("PES-PJ-010", xpath_of(pj.find("TypePJ"))))
    for ref in pj.findall("RefCompta"):
        domaine = ref.find("Domaine")
        if domaine.get("V") not in ("01", "02", "04", "06"):
            out.append(("PES-PJ-011", xpath_of(domaine)))
        elif (typepj, domaine.get("V")) in (("003", "02"), ("002", "01")):
            out.append(("PES-PJ-006", xpath_of(domaine)))
        if ref.find("Identifiant") is None:
            out.append(("PES-PJ-007", xpath_of(ref)))
    return out


def _check_lint(root: Any) -> list[Problem]:
    """Strict-profile lint, on the fields the generator's mutations target."""
    out: list[Problem] = []
    sized = (
        ("PES-LNT-001", ".//Tiers/InfoTiers/Nom", 38),
        ("PES-LNT-002", "PES_PJ/PJ/Description", 250),
        ("PES-LNT-003", "EnTetePES/LibelleColBud | EnTetePES/LibellePoste", 38),
    )
    for rule, path, limit in sized:
        out.extend((rule, xpath_of(el)) for el in root.xpath(path) if len(el.get("V")) == limit)
    scopes = (
        ("PES-LNT-004", "*/Bordereau//*[@V]"),
        ("PES-LNT-005", "PES_PJ/PJ//*[@V]"),
        ("PES-LNT-006", "EnTetePES/*[@V]"),
    )
    for rule, path in scopes:
        for el in root.xpath(path):
            if any(ord(ch) > 255 for ch in el.get("V")):
                out.append((rule, xpath_of(el)))
    return out


def _check_tiers(tiers: Any, depense: bool, nir_ok: bool) -> list[Problem]:
    out: list[Problem] = []
    info = tiers.find("InfoTiers")
    cat = info.find("CatTiers")
    nat = _v(info, "NatIdTiers")
    if nat == "01" and not siret_valid(_v(info, "IdTiers") or ""):
        out.append(("PES-TRS-005", xpath_of(info.find("IdTiers"))))
    if nat == "04" and not (nir_ok or _v(info, "TypTiers") == "07"):
        out.append(("PES-TRS-006", xpath_of(info.find("NatIdTiers"))))
    person = cat.get("V") == "01"
    named = [info.find(t) is not None for t in ("Civilite", "Prenom")]
    if person and not all(named):
        out.append(("PES-TRS-001", xpath_of(cat)))
    reserved = named if depense else [info.find("DteNaissance") is not None]
    if not person and any(reserved):
        out.append(("PES-TRS-002", xpath_of(cat)))
    if (_v(info, "Civilite") or "").upper() in ("MLLE", "MELLE", "MADEMOISELLE"):
        out.append(("PES-TRS-003", xpath_of(info.find("Civilite"))))
    adr = tiers.find("Adresse")
    if adr is not None and _v(adr, "CodRes") == "1" and adr.find("CodPays") is None:
        out.append(("PES-TRS-007", xpath_of(adr.find("CodRes"))))
    cpte = tiers.find("CpteBancaire")
    if cpte is not None:
        iban = _v(cpte, "IBAN")
        if iban is not None and not iban_valid(iban.upper()):
            out.append(("PES-BNK-001", xpath_of(cpte.find("IBAN"))))
        if iban is not None and iban != iban.upper():
            out.append(("PES-BNK-003", xpath_of(cpte.find("IBAN"))))
        if cpte.find("BIC") is not None and not bic_valid(_v(cpte, "BIC") or ""):
            out.append(("PES-BNK-002", xpath_of(cpte.find("BIC"))))
        if cpte.find("CleRib") is not None and not rib_valid(
            *(_v(cpte, t) or "" for t in ("CodeEtab", "CodeGuic", "IdCpte", "CleRib"))
        ):
            out.append(("PES-BNK-004", xpath_of(cpte.find("CleRib"))))
    return out


@pytest.fixture(scope="session")
def business_oracle() -> Callable[[Any], list[Problem]]:
    """``check_business(root) -> [(rule, xpath)]``: an empty list for a correct flow."""
    return check_business
