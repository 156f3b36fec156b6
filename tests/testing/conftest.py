"""Fixtures for the flow builder tests: the official XSD and an independent rule oracle."""

from __future__ import annotations

import base64
import binascii
import functools
import re
import zlib
from collections.abc import Callable, Mapping
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


def check_business(root: Any, context: Mapping[str, Any] | None = None) -> list[Problem]:
    """What the generator promises beyond the XSD (pes-rules §9, items 2–11), as
    (rule id, XPath) pairs; ``context`` holds the Hélios-side facts (IdPost, budgets,
    nomenclature, last_idbord, sent_idunique) when given. Written independently of
    pes_v2.testing and pes_v2.rules on purpose."""
    out: list[Problem] = []

    def bad(rule: str, el: Any) -> None:
        out.append((rule, xpath_of(el)))

    ctx = context or {}
    idcoll = root.find("EnTetePES/IdColl")
    if not siret_valid(idcoll.get("V")):
        bad("PES-HDR-001", idcoll)
    out.extend(_check_header_context(root.find("EnTetePES"), ctx))
    codbud = root.find("EnTetePES/CodBud")
    if codbud is None or not (codbud.get("V") or "").strip():
        bad("PES-HDR-005", root.find("EnTetePES") if codbud is None else codbud)
    kinds = ("PES_DepenseAller/Bordereau", "PES_RecetteAller/Bordereau", "PES_PJ/PJ")
    if not root.xpath(" | ".join(kinds)) and not root.xpath("PES_Facture/* | PES_Marche/*"):
        bad("PES-FLX-001", root)
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
    sent = {str(x) for x in ctx.get("sent_idunique", ())}
    for pj in root.xpath("PES_PJ/PJ"):
        uid = pj.find("IdUnique")
        if uid.get("V") in pj_ids:
            bad("PES-DUP-004", uid)
        if uid.get("V") in sent:
            bad("PES-DUP-008", uid)
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
        if _v(ref, "IdUnique") in pj_ids:  # at the (first) PJ sent for a paper reference
            sent = root.xpath("PES_PJ/PJ/IdUnique[@V=$v]", v=_v(ref, "IdUnique"))
            bad("PES-PJ-008", sent[0])
    for dom, kinds in (("PES_DepenseAller", _TYPES_D), ("PES_RecetteAller", _TYPES_R)):
        for typepj in root.xpath(f"{dom}//PJRef/TypePJ"):
            if typepj.get("V") not in kinds:
                bad("PES-PJ-012", typepj)
    out.extend(_check_lint(root))
    for dom in root.xpath("PES_DepenseAller | PES_RecetteAller"):
        depense = dom.tag == "PES_DepenseAller"
        seen_bord: set[tuple[str | None, ...]] = set()
        pieces_by_year: dict[str | None, set[int]] = {}
        highest: dict[tuple[str | None, ...], int] = {}
        head = dom.find("EnTeteDepense" if depense else "EnTeteRecette")
        demat = _v(head, "InfoDematerialisee") in ("1", "true")
        for bord in dom.findall("Bordereau"):
            bloc = bord.find("BlocBordereau")
            key = (_v(bloc, "Exer"), _v(bloc, "TypBord"), _v(bloc, "IdBord"))
            if key in seen_bord:
                bad("PES-DUP-001", bloc.find("IdBord"))
            seen_bord.add(key)
            out.extend(_check_numbering(bloc, depense, ctx, highest))
            typbord = _v(bloc, "TypBord")
            if not depense and typbord in ("04", "05"):
                bad("PES-REC-001", bloc.find("TypBord"))
            if demat and (depense or typbord not in ("06", "07")):
                cumul = bloc.find("MtCumulAnnuel")
                if cumul is None or Decimal(cumul.get("V")) <= 0:
                    bad("PES-TOT-006", bloc if cumul is None else cumul)
            ids_here = [int(v) for v in bord.xpath("Piece/BlocPiece//IdPce/@V")]
            earlier = pieces_by_year.setdefault(_v(bloc, "Exer"), set())
            for idpce in bord.xpath("Piece/BlocPiece//IdPce"):
                if int(idpce.get("V")) in earlier:
                    bad("PES-DUP-005", idpce)
            earlier.update(ids_here)
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
                    sepa = line.find("BlocLignePiece/InfoPrelevementSEPA")
                    if sepa is not None:
                        out.extend(_check_sepa(sepa, has_bank))
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
            for piece in pieces:
                out.extend(_check_rattach(bloc, piece, depense))
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
_FRENCH_IBAN = {"FR", "GF", "GP", "MQ", "RE", "YT", "PM", "BL", "MF", "NC", "PF", "WF"}


def _check_header_context(head: Any, ctx: Mapping[str, Any]) -> list[Problem]:
    """PES-HDR-006/007/008: the header against the Hélios-side facts."""
    out: list[Problem] = []
    postes = ctx.get("IdPost")
    if postes and _v(head, "IdPost") not in set(postes):
        out.append(("PES-HDR-006", xpath_of(head.find("IdPost"))))
    budgets = ctx.get("budgets")
    pair = {"CodCol": _v(head, "CodCol"), "CodBud": _v(head, "CodBud")}
    if budgets and pair not in [dict(b) for b in budgets]:
        out.append(("PES-HDR-007", xpath_of(head.find("CodCol"))))
    nomen = str(ctx.get("nomenclature", "")).upper()
    finjur = head.find("FinJur")
    if nomen and finjur is not None and nomen not in ("M21", "M22"):
        out.append(("PES-HDR-008", xpath_of(finjur)))
    elif nomen == "M21" and finjur is None:
        out.append(("PES-HDR-008", xpath_of(head)))
    return out


def _check_numbering(
    bloc: Any, depense: bool, ctx: Mapping[str, Any], highest: dict[tuple[str | None, ...], int]
) -> list[Problem]:
    """PES-DUP-006/007: IdBord after the last one sent (context), without a gap."""
    table = ctx.get("last_idbord")
    if not table:
        return []
    exer, typbord = _v(bloc, "Exer"), _v(bloc, "TypBord")
    domain = "depense" if depense else "recette"
    last = table.get(f"{domain}/{exer}/{typbord}", table.get(f"{exer}/{typbord}", -1))
    number = int(_v(bloc, "IdBord") or 0)
    key = (domain, exer, typbord)
    previous = max(highest.get(key, -1), int(last))
    highest[key] = max(previous, number)
    if number <= int(last):
        return [("PES-DUP-006", xpath_of(bloc.find("IdBord")))]
    if previous >= 0 and number > previous + 1:
        return [("PES-DUP-007", xpath_of(bloc.find("IdBord")))]
    return []


def _ics_ok(ics: str) -> bool:
    """Former NNE (6 digits) or an ICS whose ISO 7064 mod 97-10 key checks."""
    if re.fullmatch(r"[0-9]{6}", ics):
        return True
    if not re.fullmatch(r"[A-Z]{2}[0-9]{2}[A-Z0-9]{3}[A-Z0-9]{6}", ics):
        return False
    moved = ics[7:] + ics[:4]
    return int("".join(str(int(ch, 36)) for ch in moved)) % 97 == 1


def _check_sepa(sepa: Any, has_bank: bool) -> list[Problem]:
    """PES-BNK-009 to PES-BNK-012 on one InfoPrelevementSEPA."""
    out: list[Problem] = []
    if not has_bank:
        out.append(("PES-BNK-009", xpath_of(sepa)))
    ics = sepa.find("AncienICS")
    if ics is not None and not _ics_ok(ics.get("V")):
        out.append(("PES-BNK-010", xpath_of(ics)))
    old_bank = sepa.find("AncienneBanque")
    if old_bank is not None and sepa.find("AncienIBAN") is not None:
        out.append(("PES-BNK-011", xpath_of(sepa.find("AncienIBAN"))))
    if _v(sepa, "AncienneBanque") in ("1", "true") and _v(sepa, "SequencePres") != "02":
        out.append(("PES-BNK-012", xpath_of(old_bank)))
    return out


_NEEDS_RATTACH_D = {"02-02-06", "01-02-09", "01-13-01", "02-02-10", "01-07-01"}
_NEEDS_RATTACH_R = {"02-02-06", "01-02-09", "02-02-10", "01-14-01"}


def _check_rattach(bloc: Any, piece: Any, depense: bool) -> list[Problem]:
    """Dépense PES-DEP-003 to 007, recette PES-REC-002 to 011 (except 001) on one piece."""
    out: list[Problem] = []

    def bad(rule: str, el: Any) -> None:
        out.append((rule, xpath_of(el)))

    info = piece.find("BlocPiece/InfoPce" if depense else "BlocPiece")
    typpce, natpce = _v(info, "TypPce"), _v(info, "NatPce")
    exer = int(_v(bloc, "Exer") or 0)
    triplet = f"{_v(bloc, 'TypBord')}-{typpce}-{natpce}"
    blocs = piece.findall("LigneDePiece/BlocLignePiece")
    ids = [b.find("LiensIdent") for b in blocs]
    if (
        depense
        and triplet == "01-06-01"
        and any(i is None or i.find("IdConv") is None for i in ids)
    ):
        bad("PES-DEP-006", info.find("TypPce"))
    if depense and natpce == "05" and any(i is None or i.find("IdRegie") is None for i in ids):
        bad("PES-DEP-007", info.find("NatPce"))
    if not depense:
        if info.find("IdRol") is not None and triplet != "01-06-01":
            bad("PES-REC-002", info.find("IdRol"))
        if triplet in ("01-10-01", "01-10-02") and any(
            i is None or i.find("IdConv") is None for i in ids
        ):
            bad("PES-REC-009", info.find("TypPce"))
        if _v(info, "Edition") == "01" and not piece.findall(".//PJRef"):
            bad("PES-REC-010", info.find("Edition"))
        if triplet in _NEEDS_RATTACH_R and any(b.find("RattachPiece") is None for b in blocs):
            bad("PES-REC-003", info.find("TypPce"))
        if typpce == "15":
            out.extend(_check_ormc(bloc, info, piece))
    for b in blocs:
        line_info = b.find("InfoLignePce" if depense else "InfoLignePiece")
        rattach = b.find("RattachPiece")
        if not depense:
            out.extend(_check_majo(line_info, rattach))
        if rattach is None:
            continue
        nat = _v(rattach, "NatPceOrig")
        if depense:
            allowed = (
                {"03"}
                if typpce == "05"
                else {"04"}
                if triplet == "01-07-01"
                else {"01", "02"}
                if triplet in _NEEDS_RATTACH_D
                else None
            )
            if allowed is not None and nat not in allowed:
                bad("PES-DEP-003", rattach.find("NatPceOrig"))
        elif (
            (triplet in _NEEDS_RATTACH_R and nat not in ("01", "02"))
            or (nat == "03" and typpce != "05")
            or (nat == "05" and triplet != "01-09-01")
        ):
            bad("PES-REC-004", rattach.find("NatPceOrig"))
        origin = rattach.find("IdLigneOrig")
        number = None if origin is None else int(origin.get("V"))
        suffix = "004" if depense else "005"
        if nat in ("01", "02") and (number is None or number < 1):
            bad(
                f"PES-{'DEP' if depense else 'REC'}-{suffix}", rattach if origin is None else origin
            )
        if nat in (("03", "04") if depense else ("03", "05")) and number:
            bad(f"PES-{'DEP' if depense else 'REC'}-{suffix}", origin)
        year = int(_v(rattach, "ExerRat") or 0)
        wrong_year = (triplet == "02-02-06" and year != exer) or (
            triplet == "01-02-09" and (year >= exer if depense else year == exer)
        )
        if wrong_year:
            bad("PES-DEP-005" if depense else "PES-REC-006", rattach.find("ExerRat"))
    return out


_MOD23 = "ABCDEFGHJKLMNPQRSTUVWXY"


def _mod11(text: str) -> str:
    """Modulo-11 key read from the end with weights 2 to 7; a non-digit counts 0; the
    keys 10 and 11 become 1."""
    total = sum(int(ch) * (2 + i % 6) for i, ch in enumerate(reversed(text)) if ch in "0123456789")
    key = 11 - total % 11
    return "1" if key > 9 else str(key)


def _check_ormc(bloc: Any, info: Any, piece: Any) -> list[Problem]:
    """PES-REC-012/013: Cle1 (modulo 11 of CodCol, a code, year, période, debt) and Cle2
    (modulo 23 of year, période, 00, debt) of a titre ORMC."""
    out: list[Problem] = []
    year2, per, dette = (_v(bloc, "Exer") or "")[-2:], _v(info, "Per"), _v(info, "NumDette")
    if per is None or dette is None:
        return out
    tail = year2 + per + dette.zfill(13)
    cle2 = info.find("Cle2")
    if cle2 is not None and cle2.get("V") != _MOD23[int(year2 + per + "00" + dette.zfill(13)) % 23]:
        out.append(("PES-REC-013", xpath_of(cle2)))
    codcol = _v(bloc.getroottree().getroot(), "EnTetePES/CodCol") or ""
    codes = {_v(bloc, "IdBord"), _v(info, "NatPce"), *piece.xpath(".//InfoLignePiece/Nature/@V")}
    cle1 = info.find("Cle1")
    if cle1 is not None and cle1.get("V") not in {_mod11(codcol + c + tail) for c in codes if c}:
        out.append(("PES-REC-012", xpath_of(cle1)))
    return out


def _check_majo(info: Any, rattach: Any) -> list[Problem]:
    """PES-REC-007, 008 and 011 on one recette line."""
    out: list[Problem] = []
    majo = _v(info, "Majo")
    details = [info.find(t) for t in ("DteMajo", "TxMajo")]
    if majo in ("1", "true") and (
        None in details or rattach is None or _v(rattach, "NatPceOrig") != "05"
    ):
        out.append(("PES-REC-007", xpath_of(info.find("Majo"))))
    if majo in ("0", "false"):
        out.extend(("PES-REC-008", xpath_of(d)) for d in details if d is not None)
    mttva = info.find("MtTVA")
    if mttva is not None and Decimal(mttva.get("V")) > 0 and info.find("TxTva") is None:
        out.append(("PES-REC-011", xpath_of(mttva)))
    return out


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


PERSON_R = ("DteNaissance", "LieuNaissance")


def _check_tiers(tiers: Any, depense: bool, nir_ok: bool) -> list[Problem]:
    out: list[Problem] = []
    info = tiers.find("InfoTiers")
    cat = info.find("CatTiers")
    nat = _v(info, "NatIdTiers")
    if nat == "01" and info.find("IdTiers") is not None and not siret_valid(_v(info, "IdTiers")):
        out.append(("PES-TRS-005", xpath_of(info.find("IdTiers"))))
    if nat == "04" and not (nir_ok or _v(info, "TypTiers") == "07"):
        out.append(("PES-TRS-006", xpath_of(info.find("NatIdTiers"))))
    person = cat.get("V") == "01"
    named = [info.find(t) is not None for t in ("Civilite", "Prenom")]
    if person and not all(named):
        out.append(("PES-TRS-001", xpath_of(cat)))
    reserved = named if depense else [info.find(t) is not None for t in PERSON_R]
    if not person and any(reserved):
        out.append(("PES-TRS-002", xpath_of(cat)))
    if (_v(info, "Civilite") or "").strip().rstrip(".").upper() in ("MLLE", "MELLE", "MLE"):
        out.append(("PES-TRS-003", xpath_of(info.find("Civilite"))))
    ident, nature = info.find("IdTiers"), info.find("NatIdTiers")
    if (ident is None) != (nature is None):
        out.append(("PES-TRS-004", xpath_of(nature if ident is None else ident)))
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
        if iban and iban[:2].upper() not in _FRENCH_IBAN and cpte.find("BIC") is None:
            out.append(("PES-BNK-008", xpath_of(cpte.find("IBAN"))))
        intl = [cpte.find(t) for t in ("IdPayInt", "IdBancInt")]
        if (intl[0] is None) != (intl[1] is None):
            out.append(("PES-BNK-007", xpath_of(intl[0] if intl[1] is None else intl[1])))
        if cpte.find("CleRib") is not None and not rib_valid(
            *(_v(cpte, t) or "" for t in ("CodeEtab", "CodeGuic", "IdCpte", "CleRib"))
        ):
            out.append(("PES-BNK-004", xpath_of(cpte.find("CleRib"))))
    return out


@pytest.fixture(scope="session")
def business_oracle() -> Callable[..., list[Problem]]:
    """``check_business(root, context=None) -> [(rule, xpath)]``: an empty list for a
    correct flow."""
    return check_business
