"""Mutations for the business rules of dépense, recette, tiers, bank details, header,
uniqueness, PJ and totals, most of them structural (added, removed or moved elements).

Inserted elements are placed where the official XSD (v5.30) wants them, so the flow stays
schema-valid. For a structural mutation the changed elements are the element at fault
first, then every element whose children were added or removed (so the rest of the tree
is exactly the original one). A mutation raises ValueError when the flow has no target
for it (no recette line, no RIB…). Rules that need Hélios-side facts carry them in
:attr:`~pes_v2.testing.mutations.Mutation.context`.
"""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from lxml import etree

from ..identifiers import iban_check_digits
from .mutations import Apply, Mutation, _pick, _set
from .signing import DgfipSigner, test_pki
from .values import make_finess, make_iban_fr

DS = "{http://www.w3.org/2000/09/xmldsig#}Signature"

# -- XSD child orders (v5.30) of the parents that receive new children ------------------

_ENTETE_PES = (
    "DteStr",
    "IdPost",
    "LibellePoste",
    "IdColl",
    "FinJur",
    "CodCol",
    "CodBud",
    "LibelleColBud",
)
_RIB = ("IdPayInt", "IdBancInt", "CodeEtab", "CodeGuic", "IdCpte", "CleRib")
_INFOTIERS = {
    "PES_DepenseAller": (
        "IdTiers",
        "NatIdTiers",
        "DteIdTiers",
        "RefTiers",
        "CatTiers",
        "NatJur",
        "Civilite",
        "Nom",
        "ComplNom",
        "Prenom",
    ),
    "PES_RecetteAller": (
        "IdTiers",
        "DteNaissance",
        "NatIdTiers",
        "DteIdTiers",
        "RefTiers",
        "CatTiers",
        "NatJur",
        "TypTiers",
        "Civilite",
        "Nom",
        "ComplNom",
        "Prenom",
        "LieuNaissance",
    ),
}
_BLOC_LIGNE = {
    "PES_DepenseAller": (
        "InfoLignePce",
        "InfoTVAHLM",
        "OpSpec",
        "RattachPiece",
        "LiensIdent",
        "VentilationMarche",
    ),
    "PES_RecetteAller": (
        "InfoLignePiece",
        "InfoPrelevement",
        "InfoPrelevementSEPA",
        "InfoAssure",
        "RattachPiece",
        "LiensIdent",
        "VentilationMarche",
    ),
}
_BLOC_PIECE_RECETTE = (
    "CodServ",
    "Affect",
    "IdPce",
    "TypPce",
    "NatPce",
    "IdRol",
    "DteAsp",
    "Edition",
    "ImpayeRegie",
    "EnvRetour",
    "ObjPce",
)
_INFO_LIGNE_RECETTE = (
    "IdLigne",
    "ObjLignePce",
    "CodProdLoc",
    "FinGeo",
    "CodEtGeo",
    "Nature",
    "Fonction",
    "Operation",
    "TxTva",
    "Majo",
    "DteMajo",
    "TxMajo",
    "CpteTiers",
    "TvaIntraCom",
)

# -- helpers -----------------------------------------------------------------------------


def _el(tag: str, value: object) -> Any:
    return etree.Element(tag, V=str(value))


def _insert(parent: Any, new: Any, order: Sequence[str]) -> Any:
    """Insert ``new`` into ``parent`` at its place in the XSD sequence ``order`` (children
    not named in ``order`` come after it); keep the indentation of its siblings."""
    rank = order.index(new.tag)
    for child in parent:
        if child.tag not in order[: rank + 1]:
            before = child.getprevious()
            new.tail = parent.text if before is None else before.tail
            child.addprevious(new)
            return new
    last = parent[-1] if len(parent) else None
    if last is not None:
        before = last.getprevious()
        new.tail = last.tail
        last.tail = parent.text if before is None else before.tail
    parent.append(new)
    return new


def _remove(el: Any) -> Any:
    """Remove ``el`` (keeping the indentation) and return its former parent."""
    parent = el.getparent()
    before = el.getprevious()
    if before is not None:
        before.tail = el.tail
    elif len(parent) == 1:
        parent.text = None
    parent.remove(el)
    return parent


def _block(tag: str, *children: tuple[str, object], indent: str = "") -> Any:
    """A new element with ``V`` children, indented one step below ``indent``."""
    block = etree.Element(tag)
    inner = indent + "  "
    block.text = "\n" + inner
    for name, value in children:
        etree.SubElement(block, name, V=str(value)).tail = "\n" + inner
    block[-1].tail = "\n" + indent
    return block


def _indent_of(el: Any) -> str:
    tail = (el.getprevious().tail if el.getprevious() is not None else el.getparent().text) or ""
    return tail.rsplit("\n", 1)[-1]


def _domain(el: Any) -> str:
    """``PES_DepenseAller`` or ``PES_RecetteAller``: the domain ``el`` belongs to."""
    while el.getparent() is not None and el.getparent().getparent() is not None:
        el = el.getparent()
    return str(el.tag)


def _bloc_of(el: Any) -> Any:
    """The BlocBordereau of the bordereau holding ``el``."""
    return next(el.iterancestors("Bordereau")).find("BlocBordereau")


def _exer(el: Any) -> int:
    return int(_bloc_of(el).find("Exer").get("V"))


def _day(el: Any) -> date:
    return date.fromisoformat(_bloc_of(el).find("DteBordEm").get("V"))


def _rattach(
    line: Any, rng: random.Random, nat: str, exer: int, idligne: int | None, indent: str
) -> Any:
    """Add a RattachPiece to the BlocLignePiece of ``line``; return it."""
    children: list[tuple[str, object]] = [
        ("NatPceOrig", nat),
        ("ExerRat", exer),
        ("IdPceOrig", rng.randint(1, 99_999)),
    ]
    if idligne is not None:
        children.append(("IdLigneOrig", idligne))
    bloc = line.find("BlocLignePiece")
    return _insert(
        bloc, _block("RattachPiece", *children, indent=indent), _BLOC_LIGNE[_domain(line)]
    )


def _line_indent(line: Any) -> str:
    return _indent_of(line.find("BlocLignePiece")[0])


# -- bank details --------------------------------------------------------------------------


def _transfer_without_account(root: Any, rng: random.Random) -> list[Any]:
    line = _pick(
        root,
        "PES_DepenseAller/Bordereau/Piece/LigneDePiece[Tiers/CpteBancaire]"
        "[BlocLignePiece/InfoLignePce/ModRegl[@V='03' or @V='05']]",
        rng,
        "dépense line paid by transfer",
    )
    changed = [line.find("BlocLignePiece/InfoLignePce/ModRegl")]
    for cpte in line.findall("Tiers/CpteBancaire"):
        changed.append(_remove(cpte))
    return changed


def _intl_apart(root: Any, rng: random.Random) -> list[Any]:
    cpte = _pick(
        root, ".//Tiers/CpteBancaire[CleRib][not(IdPayInt) and not(IdBancInt)]", rng, "RIB"
    )
    if rng.random() < 0.5:
        new = _el("IdPayInt", "FR")
    else:
        new = _el("IdBancInt", rng.choice(("BNPAFRPP", "CCBPFRPP", "SOGEFRPP", "AGRIFRPP")))
    return [_insert(cpte, new, _RIB), cpte]


def _digits(rng: random.Random, n: int) -> str:
    return "".join(str(rng.randint(0, 9)) for _ in range(n))


def _foreign_iban(rng: random.Random) -> str:
    """A valid IBAN of Germany, Belgium, Spain or the Netherlands."""
    country = rng.choice(("DE", "BE", "ES", "NL"))
    if country == "NL":
        bban = rng.choice(("ABNA", "INGB", "RABO")) + _digits(rng, 10)
    else:
        bban = _digits(rng, {"DE": 18, "BE": 12, "ES": 20}[country])
    return country + iban_check_digits(country, bban) + bban


def _foreign_without_bic(root: Any, rng: random.Random) -> list[Any]:
    cpte = _pick(root, ".//Tiers/CpteBancaire[IBAN][BIC]", rng, "IBAN with a BIC")
    iban = _set(cpte.find("IBAN"), _foreign_iban(rng))
    _remove(cpte.find("BIC"))
    return [*iban, cpte]


def _ics(rng: random.Random) -> str:
    """A well-formed creditor identifier: FR, ISO 7064 key, business code, national id."""
    national = "".join(rng.choice("0123456789ABCDEFGHJKLMNPRSTUVWXYZ") for _ in range(6))
    digits = "".join(str(int(c, 36)) for c in national + "FR00")
    return f"FR{98 - int(digits) % 97:02d}ZZZ{national}"


def _sepa_line(root: Any, rng: random.Random) -> Any:
    return _pick(
        root,
        "PES_RecetteAller/Bordereau/Piece/LigneDePiece[Tiers/CpteBancaire]"
        "[not(BlocLignePiece/InfoPrelevement or BlocLignePiece/InfoPrelevementSEPA)]",
        rng,
        "recette line with bank details",
    )


def _add_sepa(line: Any, rng: random.Random, sequence: str, *extra: tuple[str, object]) -> Any:
    """Add an InfoPrelevementSEPA to ``line`` (the Trésor presents the debit); return it."""
    info = line.find("BlocLignePiece/InfoLignePiece")
    amount = Decimal(info.find("MtHT").get("V"))
    if info.find("MtTVA") is not None:
        amount += Decimal(info.find("MtTVA").get("V"))
    day = _day(line)
    block = _block(
        "InfoPrelevementSEPA",
        ("NatPrel", "01"),
        ("PerPrel", "07"),
        ("DtePrel", (day + timedelta(days=rng.randint(10, 40))).isoformat()),
        ("MtPrel", amount),
        ("SequencePres", sequence),
        ("DateSignMandat", (day - timedelta(days=rng.randint(30, 700))).isoformat()),
        ("RefUniMdt", f"RUM-{day.year}-{rng.randint(1, 999_999):06d}"),
        *extra,
        indent=_line_indent(line),
    )
    return _insert(line.find("BlocLignePiece"), block, _BLOC_LIGNE["PES_RecetteAller"])


def _sepa_without_account(root: Any, rng: random.Random) -> list[Any]:
    line = _sepa_line(root, rng)
    sepa = _add_sepa(line, rng, "01")
    changed = [sepa, sepa.getparent()]
    for cpte in line.findall("Tiers/CpteBancaire"):
        changed.append(_remove(cpte))
    return changed


def _bad_ancien_ics(root: Any, rng: random.Random) -> list[Any]:
    line = _sepa_line(root, rng)
    ics = _ics(rng)
    bad = f"{ics[:2]}{(int(ics[2:4]) + rng.randint(1, 96)) % 97 + 2:02d}{ics[4:]}"
    while bad == ics:
        bad = f"{ics[:2]}{int(bad[2:4]) % 97 + 2:02d}{ics[4:]}"
    sepa = _add_sepa(line, rng, "01", ("AncienICS", bad))
    return [sepa.find("AncienICS"), sepa.getparent()]


def _ancienne_banque_and_iban(root: Any, rng: random.Random) -> list[Any]:
    line = _sepa_line(root, rng)
    sepa = _add_sepa(line, rng, "02", ("AncienneBanque", 1), ("AncienIBAN", make_iban_fr(rng)))
    return [sepa.find("AncienIBAN"), sepa.getparent()]


def _change_of_bank_not_frst(root: Any, rng: random.Random) -> list[Any]:
    line = _sepa_line(root, rng)
    sepa = _add_sepa(line, rng, rng.choice(("01", "03", "04")), ("AncienneBanque", 1))
    return [sepa.find("AncienneBanque"), sepa.getparent()]


# -- dépense -------------------------------------------------------------------------------

_DEP_PIECE = "PES_DepenseAller/Bordereau[BlocBordereau/TypBord/@V='01']/Piece"


def _natpceorig_after_payment(root: Any, rng: random.Random) -> list[Any]:
    piece = _pick(root, f"{_DEP_PIECE}[BlocPiece/InfoPce/TypPce/@V='01']", rng, "mandat")
    changed = _set(piece.find("BlocPiece/InfoPce/TypPce"), "05")
    line = rng.choice(piece.findall("LigneDePiece"))
    rattach = _rattach(line, rng, "01", _exer(piece) - 1, rng.randint(1, 9), _line_indent(line))
    return [rattach.find("NatPceOrig"), *changed, rattach.getparent()]


def _idligneorig_after_payment(root: Any, rng: random.Random) -> list[Any]:
    piece = _pick(root, f"{_DEP_PIECE}[BlocPiece/InfoPce/TypPce/@V='01']", rng, "mandat")
    changed = _set(piece.find("BlocPiece/InfoPce/TypPce"), "05")
    line = rng.choice(piece.findall("LigneDePiece"))
    rattach = _rattach(line, rng, "03", _exer(piece), rng.randint(1, 9), _line_indent(line))
    return [rattach.find("IdLigneOrig"), *changed, rattach.getparent()]


def _correctif(root: Any, rng: random.Random, path: str, orig: str) -> list[Any]:
    """Turn a piece into 01-02-09 with a complete RattachPiece on every line, one of them
    with ExerRat = Exer (the others the year before)."""
    piece = _pick(
        root,
        f"{path}[not(.//RattachPiece)][BlocPiece//TypPce/@V!='02']",
        rng,
        "piece of an ordinary bordereau",
    )
    info = piece.find("BlocPiece/InfoPce")
    info = piece.find("BlocPiece") if info is None else info
    changed = _set(info.find("TypPce"), "02")
    if info.find("NatPce").get("V") != "09":
        changed += _set(info.find("NatPce"), "09")
    exer = _exer(piece)
    lines = piece.findall("LigneDePiece")
    wrong = rng.choice(lines)
    fault = None
    for k, line in enumerate(lines, 1):
        year = exer if line is wrong else exer - 1
        rattach = _rattach(line, rng, orig, year, k, _line_indent(line))
        changed.append(rattach.getparent())
        if line is wrong:
            fault = rattach.find("ExerRat")
    return [fault, *changed]


def _exerrat_not_earlier(root: Any, rng: random.Random) -> list[Any]:
    return _correctif(root, rng, _DEP_PIECE, "02")


def _mandat_global(root: Any, rng: random.Random) -> list[Any]:
    info = _pick(root, f"{_DEP_PIECE}/BlocPiece/InfoPce[TypPce/@V!='06']", rng, "mandat")
    changed = _set(info.find("TypPce"), "06")
    if info.find("NatPce").get("V") != "01":
        changed += _set(info.find("NatPce"), "01")
    return changed


def _regie(root: Any, rng: random.Random) -> list[Any]:
    nat = _pick(
        root, "PES_DepenseAller/Bordereau/Piece/BlocPiece/InfoPce/NatPce[@V!='05']", rng, "mandat"
    )
    return _set(nat, "05")


# -- recette -------------------------------------------------------------------------------

_REC_PIECE = "PES_RecetteAller/Bordereau[BlocBordereau/TypBord/@V='01']/Piece"


def _recette_typbord(root: Any, rng: random.Random) -> list[Any]:
    el = _pick(root, "PES_RecetteAller/Bordereau/BlocBordereau/TypBord", rng, "recette bordereau")
    return _set(el, rng.choice(("04", "05")))


def _idrol(root: Any, rng: random.Random) -> list[Any]:
    bloc = _pick(root, f"{_REC_PIECE}/BlocPiece[not(IdRol)]", rng, "titre")
    return [_insert(bloc, _el("IdRol", rng.randint(1, 9_999_999)), _BLOC_PIECE_RECETTE), bloc]


def _rattach_missing(root: Any, rng: random.Random) -> list[Any]:
    bloc = _pick(
        root,
        f"{_REC_PIECE}[not(.//RattachPiece)]/BlocPiece[TypPce/@V!='14']",
        rng,
        "titre",
    )
    changed = _set(bloc.find("TypPce"), "14")
    if bloc.find("NatPce").get("V") != "01":
        changed += _set(bloc.find("NatPce"), "01")
    return changed


def _plain_recette_line(root: Any, rng: random.Random) -> Any:
    return _pick(
        root,
        f"{_REC_PIECE}[BlocPiece/TypPce/@V='01']/LigneDePiece[not(BlocLignePiece/RattachPiece)]",
        rng,
        "line of an ordinary titre",
    )


def _natpceorig_encaissement(root: Any, rng: random.Random) -> list[Any]:
    line = _plain_recette_line(root, rng)
    rattach = _rattach(line, rng, "03", _exer(line), None, _line_indent(line))
    return [rattach.find("NatPceOrig"), rattach.getparent()]


def _idligneorig_missing(root: Any, rng: random.Random) -> list[Any]:
    line = _plain_recette_line(root, rng)
    rattach = _rattach(line, rng, "01", _exer(line) - 1, None, _line_indent(line))
    return [rattach, rattach.getparent()]


def _exerrat_equal(root: Any, rng: random.Random) -> list[Any]:
    return _correctif(root, rng, _REC_PIECE, "02")


def _majo_incomplete(root: Any, rng: random.Random) -> list[Any]:
    el = _pick(
        root,
        "PES_RecetteAller//InfoLignePiece[not(DteMajo) and not(TxMajo)]/Majo[@V='0']",
        rng,
        "non-majorable recette line",
    )
    return _set(el, 1)


def _majo_details(root: Any, rng: random.Random) -> list[Any]:
    info = _pick(
        root,
        "PES_RecetteAller//InfoLignePiece[Majo/@V='0'][not(DteMajo) and not(TxMajo)]",
        rng,
        "non-majorable recette line",
    )
    if rng.random() < 0.5:
        new = _el("TxMajo", rng.choice(("10.00", "5.00", "3.50")))
    else:
        new = _el("DteMajo", (_day(info) + timedelta(days=rng.randint(30, 90))).isoformat())
    return [_insert(info, new, _INFO_LIGNE_RECETTE), info]


def _multiyear(root: Any, rng: random.Random) -> list[Any]:
    bloc = _pick(root, f"{_REC_PIECE}/BlocPiece[TypPce/@V!='10']", rng, "titre")
    changed = _set(bloc.find("TypPce"), "10")
    nat = rng.choice(("01", "02"))
    if bloc.find("NatPce").get("V") != nat:
        changed += _set(bloc.find("NatPce"), nat)
    return changed


def _edition_without_pjref(root: Any, rng: random.Random) -> list[Any]:
    bloc = _pick(
        root,
        "PES_RecetteAller/Bordereau/Piece[not(.//PJRef)]/BlocPiece[not(Edition)]",
        rng,
        "titre without PJRef",
    )
    return [_insert(bloc, _el("Edition", "01"), _BLOC_PIECE_RECETTE), bloc]


def _vat_without_rate(root: Any, rng: random.Random) -> list[Any]:
    info = _pick(root, "PES_RecetteAller//InfoLignePiece[MtTVA][TxTva]", rng, "recette VAT line")
    _remove(info.find("TxTva"))
    return [info.find("MtTVA"), info]


# -- uniqueness ------------------------------------------------------------------------------

LAST_SENT = {"last_idbord": {"2021/01": 1200}}
"""Context of the numbering mutations: bordereau 1200 of 2021 (type 01) was the last sent."""
SENT_PJ = "PJ2021ENVOYEE00000001"


def _idpce_in_two_bordereaux(root: Any, rng: random.Random) -> list[Any]:
    found = []
    for dom in root.xpath("PES_DepenseAller | PES_RecetteAller"):
        bords = dom.findall("Bordereau")
        for i, bord in enumerate(bords[1:], 1):
            exer = bord.find("BlocBordereau/Exer").get("V")
            earlier = [b for b in bords[:i] if b.find("BlocBordereau/Exer").get("V") == exer]
            if earlier:
                found.append((bord, earlier))
    if not found:
        raise ValueError("the flow has no two bordereaux of one domain and year")
    bord, earlier = rng.choice(found)
    taken = rng.choice(earlier).xpath("Piece/BlocPiece//IdPce/@V")
    return _set(rng.choice(bord.xpath("Piece/BlocPiece//IdPce")), rng.choice(taken))


def _renumber(root: Any, rng: random.Random, low: int, high: int) -> list[Any]:
    """Move an ordinary bordereau to 2021 and number it in [low, high]. Only the first or
    the last of its (domain, Exer) series moves, so the others' numbering stays gapless."""
    series: dict[tuple[str, str], list[Any]] = {}
    for bloc in root.xpath("*/Bordereau/BlocBordereau[TypBord/@V='01']"):
        key = (_domain(bloc), bloc.find("Exer").get("V"))
        series.setdefault(key, []).append(bloc)
    ends = {id(b): b for blocs in series.values() for b in (blocs[0], blocs[-1])}
    if not ends:
        raise ValueError("the flow has no ordinary bordereau")
    bloc = rng.choice(list(ends.values()))
    return _set(bloc.find("IdBord"), rng.randint(low, high)) + _set(bloc.find("Exer"), 2021)


def _idbord_already_sent(root: Any, rng: random.Random) -> list[Any]:
    return _renumber(root, rng, 1, 1200)


def _idbord_gap(root: Any, rng: random.Random) -> list[Any]:
    return _renumber(root, rng, 1202, 1299)


def _pj_already_sent(root: Any, rng: random.Random) -> list[Any]:
    uid = _pick(root, "PES_PJ/PJ/IdUnique", rng, "PJ")
    old = uid.get("V")
    changed = _set(uid, SENT_PJ)
    for ref in root.xpath(".//PJRef/IdUnique[@V=$v]", v=old):  # keep every PJRef resolved
        changed += _set(ref, SENT_PJ)
    return changed


# -- header ----------------------------------------------------------------------------------

KNOWN_POSTES = ("034000", "034012")
KNOWN_BUDGETS = ({"CodCol": "001", "CodBud": "01"},)


def _envelope_version(root: Any, rng: random.Random) -> list[Any]:
    return _set(root.find("Enveloppe/Parametres/Version"), rng.choice((1, 3)))


def _idpost_unknown(root: Any, rng: random.Random) -> list[Any]:
    return _set(root.find("EnTetePES/IdPost"), f"034{rng.randint(5, 9)}{rng.randint(0, 99):02d}")


def _budget_unknown(root: Any, rng: random.Random) -> list[Any]:
    el = root.find("EnTetePES/CodCol")
    value = int(el.get("V"))
    return _set(el, f"{(value + rng.randint(1, 997)) % 999 + 1:03d}")


def _finjur_outside_hospital(root: Any, rng: random.Random) -> list[Any]:
    head = root.find("EnTetePES")
    if head.find("FinJur") is not None:
        raise ValueError("the flow already has a FinJur")
    return [_insert(head, _el("FinJur", make_finess(rng)), _ENTETE_PES), head]


# -- PJ and totals -----------------------------------------------------------------------------


def _refcompta_without_identifiant(root: Any, rng: random.Random) -> list[Any]:
    ref = _pick(root, "PES_PJ/PJ/RefCompta[Identifiant]", rng, "RefCompta")
    _remove(ref.find("Identifiant"))
    return [ref]


def _cumul_missing_signed(root: Any, rng: random.Random) -> list[Any]:
    bloc = _pick(
        root,
        "PES_DepenseAller/Bordereau/BlocBordereau[MtCumulAnnuel]"
        " | PES_RecetteAller/Bordereau/BlocBordereau[MtCumulAnnuel]"
        "[TypBord/@V!='06' and TypBord/@V!='07']",
        rng,
        "bordereau with MtCumulAnnuel",
    )
    if root.find(DS) is not None:
        raise ValueError("the flow has a global signature")
    _remove(bloc.find("MtCumulAnnuel"))
    changed = [bloc]
    signer = DgfipSigner.for_pki(test_pki(), indent=False)
    target = bloc.getparent()
    for bord in root.xpath("PES_DepenseAller/Bordereau | PES_RecetteAller/Bordereau"):
        old = bord.find(DS)
        if old is not None and bord is not target:
            continue
        if old is not None:
            _remove(old)
        signer.sign(bord)
        changed.append(bord)
    for head in root.xpath("*/EnTeteDepense | */EnTeteRecette"):
        demat = head.find("InfoDematerialisee")
        if demat is None:
            new = _el("InfoDematerialisee", 1)
            changed += [_insert(head, new, ("IdVer", "InfoDematerialisee")), head]
        elif demat.get("V") not in ("1", "true"):
            changed += _set(demat, 1)
    return changed


# -- tiers --------------------------------------------------------------------------------------


def _person_field_on_company(root: Any, rng: random.Random) -> list[Any]:
    info = _pick(
        root,
        "PES_DepenseAller//Tiers/InfoTiers[CatTiers/@V!='01'][not(Civilite) and not(Prenom)]"
        " | PES_RecetteAller//Tiers/InfoTiers[CatTiers/@V!='01']"
        "[not(DteNaissance) and not(LieuNaissance)]",
        rng,
        "tiers that is not a natural person",
    )
    domain = _domain(info)
    if domain == "PES_DepenseAller":
        new = _el("Civilite", rng.choice(("M", "MME")))
    else:
        born = date(rng.randint(1940, 2000), rng.randint(1, 12), rng.randint(1, 28))
        new = _el("DteNaissance", born.isoformat())
    _insert(info, new, _INFOTIERS[domain])
    return [info.find("CatTiers"), info]


def _mademoiselle(root: Any, rng: random.Random) -> list[Any]:
    el = _pick(root, ".//Tiers/InfoTiers/Civilite", rng, "tiers with a Civilite")
    return _set(el, rng.choice(("MLLE", "Mlle", "MELLE", "Melle")))


def _idtiers_alone(root: Any, rng: random.Random) -> list[Any]:
    info = _pick(root, ".//Tiers/InfoTiers[IdTiers][NatIdTiers]", rng, "identified tiers")
    if rng.random() < 0.5:
        _remove(info.find("NatIdTiers"))
        return [info.find("IdTiers"), info]
    _remove(info.find("IdTiers"))
    return [info.find("NatIdTiers"), info]


# -- flow ----------------------------------------------------------------------------------------


def _empty_flow(root: Any, rng: random.Random) -> list[Any]:
    for child in list(root):
        if child.tag not in ("Enveloppe", "EnTetePES"):
            _remove(child)
    return [root]


# -- the catalogue entries ----------------------------------------------------------------------


def _b(
    name: str,
    description: str,
    rule: str,
    ack: str | None,
    apply: Apply,
    *,
    structural: bool = False,
    context: Mapping[str, Any] | None = None,
) -> Mutation:
    return Mutation(
        name, description, rule, ack, "business", apply, structural=structural, context=context
    )


EXTRA: list[Mutation] = [
    _b(
        "bank.transfer_without_account",
        "The CpteBancaire of the tiers of a dépense line paid by transfer (ModRegl 03 or "
        "05) is removed.",
        "PES-BNK-005",
        "ERREUR_AUTRE",
        _transfer_without_account,
        structural=True,
    ),
    _b(
        "bank.intl_ids_apart",
        "A national RIB gets an IdPayInt without IdBancInt, or the reverse.",
        "PES-BNK-007",
        "ERREUR_AUTRE",
        _intl_apart,
        structural=True,
    ),
    _b(
        "bank.foreign_iban_without_bic",
        "An IBAN is replaced by a valid German, Belgian, Spanish or Dutch one and its BIC "
        "is removed.",
        "PES-BNK-008",
        "ERREUR_AUTRE",
        _foreign_without_bic,
        structural=True,
    ),
    _b(
        "bank.sepa_debit_without_account",
        "A recette line gets an InfoPrelevementSEPA while the CpteBancaire of its tiers "
        "is removed.",
        "PES-BNK-009",
        "ERREUR_AUTRE",
        _sepa_without_account,
        structural=True,
    ),
    _b(
        "bank.bad_ancien_ics",
        "A recette line with bank details gets an InfoPrelevementSEPA whose AncienICS has "
        "wrong check digits.",
        "PES-BNK-010",
        "ERREUR_AUTRE",
        _bad_ancien_ics,
        structural=True,
    ),
    _b(
        "bank.ancienne_banque_with_ancien_iban",
        "A recette line with bank details gets an InfoPrelevementSEPA (sequence FRST) "
        "with both AncienneBanque and AncienIBAN.",
        "PES-BNK-011",
        "ERREUR_AUTRE",
        _ancienne_banque_and_iban,
        structural=True,
    ),
    _b(
        "bank.change_of_bank_not_frst",
        "A recette line with bank details gets an InfoPrelevementSEPA with AncienneBanque "
        "1 and a SequencePres other than 02 (FRST).",
        "PES-BNK-012",
        None,
        _change_of_bank_not_frst,
        structural=True,
    ),
    _b(
        "depense.natpceorig_after_payment",
        "A mandat becomes TypPce 05 (émis après paiement) and one line gets a RattachPiece "
        "with NatPceOrig 01 instead of 03.",
        "PES-DEP-003",
        "ERREUR_AUTRE",
        _natpceorig_after_payment,
        structural=True,
    ),
    _b(
        "depense.idligneorig_after_payment",
        "A mandat becomes TypPce 05 and one line gets a RattachPiece with NatPceOrig 03 "
        "and an IdLigneOrig of 1 or more.",
        "PES-DEP-004",
        "ERREUR_AUTRE",
        _idligneorig_after_payment,
        structural=True,
    ),
    _b(
        "depense.exerrat_not_earlier",
        "A mandat becomes 01-02-09 with a complete RattachPiece on every line; one of them "
        "has ExerRat = Exer instead of an earlier year.",
        "PES-DEP-005",
        "ERREUR_AUTRE",
        _exerrat_not_earlier,
        structural=True,
    ),
    _b(
        "depense.mandat_global_without_idconv",
        "A mandat becomes 01-06-01 (mandat global) without LiensIdent/IdConv.",
        "PES-DEP-006",
        None,
        _mandat_global,
    ),
    _b(
        "depense.regie_without_idregie",
        "A mandat gets NatPce 05 (régie) without LiensIdent/IdRegie.",
        "PES-DEP-007",
        None,
        _regie,
    ),
    _b(
        "recette.typbord_return_only",
        "A recette bordereau gets TypBord 04 or 05, not usable in an aller flow.",
        "PES-REC-001",
        "ERREUR_CODIFICATION",
        _recette_typbord,
    ),
    _b(
        "recette.idrol_outside_role",
        "An ordinary titre (01-01-x) gets an IdRol.",
        "PES-REC-002",
        "ERREUR_AUTRE",
        _idrol,
        structural=True,
    ),
    _b(
        "recette.rattach_missing",
        "A titre becomes 01-14-01 (produits constatés d'avance) without RattachPiece.",
        "PES-REC-003",
        "ERREUR_AUTRE",
        _rattach_missing,
    ),
    _b(
        "recette.natpceorig_encaissement",
        "A line of an ordinary titre gets a RattachPiece with NatPceOrig 03 (allowed only "
        "with TypPce 05).",
        "PES-REC-004",
        "ERREUR_AUTRE",
        _natpceorig_encaissement,
        structural=True,
    ),
    _b(
        "recette.idligneorig_missing",
        "A line of an ordinary titre gets a RattachPiece with NatPceOrig 01 and no IdLigneOrig.",
        "PES-REC-005",
        "ERREUR_AUTRE",
        _idligneorig_missing,
        structural=True,
    ),
    _b(
        "recette.exerrat_equal",
        "A titre becomes 01-02-09 with a complete RattachPiece on every line; one of them "
        "has ExerRat = Exer.",
        "PES-REC-006",
        "ERREUR_AUTRE",
        _exerrat_equal,
        structural=True,
    ),
    _b(
        "recette.majo_incomplete",
        "A recette line gets Majo 1 without DteMajo, TxMajo or RattachPiece.",
        "PES-REC-007",
        "ERREUR_AUTRE",
        _majo_incomplete,
    ),
    _b(
        "recette.majo_details_not_majorable",
        "A recette line with Majo 0 gets a TxMajo or a DteMajo.",
        "PES-REC-008",
        "ERREUR_AUTRE",
        _majo_details,
        structural=True,
    ),
    _b(
        "recette.multiyear_without_idconv",
        "A titre becomes 01-10-01 or 01-10-02 (several years) without LiensIdent/IdConv.",
        "PES-REC-009",
        None,
        _multiyear,
    ),
    _b(
        "recette.edition_without_pjref",
        "A titre without PJRef gets Edition 01 (ASAP printed by the DGFiP).",
        "PES-REC-010",
        "ERREUR_AUTRE",
        _edition_without_pjref,
        structural=True,
    ),
    _b(
        "recette.vat_without_rate",
        "The TxTva of a recette line with MtTVA is removed.",
        "PES-REC-011",
        None,
        _vat_without_rate,
        structural=True,
    ),
    _b(
        "ids.idpce_in_two_bordereaux",
        "A piece reuses the IdPce of a piece of an earlier bordereau of its domain and year.",
        "PES-DUP-005",
        "ERREUR_DOUBLON_PIECE",
        _idpce_in_two_bordereaux,
    ),
    _b(
        "ids.idbord_already_sent",
        "An ordinary bordereau is renumbered 2021 / 1 to 1200 while the context says "
        "bordereau 1200 of 2021 was the last sent.",
        "PES-DUP-006",
        "ERREUR_DOUBLON_BORDEREAU",
        _idbord_already_sent,
        context=LAST_SENT,
    ),
    _b(
        "ids.idbord_gap",
        "An ordinary bordereau is renumbered 2021 / 1202 to 1299 while the context says "
        "bordereau 1200 of 2021 was the last sent.",
        "PES-DUP-007",
        None,
        _idbord_gap,
        context=LAST_SENT,
    ),
    _b(
        "ids.pj_already_sent",
        f"A PJ gets the IdUnique {SENT_PJ}, which the context lists as already sent (its "
        "PJRef follow).",
        "PES-DUP-008",
        "ERREUR_DOUBLON_PJ",
        _pj_already_sent,
        context={"sent_idunique": [SENT_PJ]},
    ),
    _b(
        "header.envelope_version_not_2",
        "Enveloppe/Parametres/Version is 1 or 3.",
        "PES-HDR-004",
        None,
        _envelope_version,
    ),
    _b(
        "header.idpost_unknown",
        f"IdPost is set to a poste outside the context's list ({', '.join(KNOWN_POSTES)}).",
        "PES-HDR-006",
        "ERREUR_CODIQUE",
        _idpost_unknown,
        context={"IdPost": list(KNOWN_POSTES)},
    ),
    _b(
        "header.budget_unknown",
        "CodCol is changed; the context lists only the budget 001 / 01.",
        "PES-HDR-007",
        "ERREUR_CODE_COLLECTIVITE_BUDGET",
        _budget_unknown,
        context={"budgets": [dict(b) for b in KNOWN_BUDGETS]},
    ),
    _b(
        "header.finjur_outside_hospital",
        "EnTetePES gets a FinJur while the context's nomenclature is M57.",
        "PES-HDR-008",
        "ERREUR_PES_PARAM",
        _finjur_outside_hospital,
        structural=True,
        context={"nomenclature": "M57"},
    ),
    _b(
        "pj.refcompta_without_identifiant",
        "The Identifiant of a PJ's RefCompta is removed.",
        "PES-PJ-007",
        "ERREUR_PJ",
        _refcompta_without_identifiant,
        structural=True,
    ),
    _b(
        "totals.cumul_missing_dematerialised",
        "MtCumulAnnuel is removed from a bordereau, then every bordereau is signed and "
        "InfoDematerialisee set to 1.",
        "PES-TOT-006",
        "ERREUR_CUMUL_MONTANTS",
        _cumul_missing_signed,
        structural=True,
    ),
    _b(
        "tiers.person_field_on_company",
        "A tiers that is not a natural person gets a Civilite (dépense) or a DteNaissance "
        "(recette).",
        "PES-TRS-002",
        "ERREUR_AUTRE",
        _person_field_on_company,
        structural=True,
    ),
    _b(
        "tiers.mademoiselle",
        "A natural person's Civilite becomes MLLE (or Mlle, MELLE, Melle).",
        "PES-TRS-003",
        "ERREUR_AUTRE",
        _mademoiselle,
    ),
    _b(
        "tiers.idtiers_without_natidtiers",
        "The NatIdTiers of an identified tiers is removed (or its IdTiers).",
        "PES-TRS-004",
        "ERREUR_AUTRE",
        _idtiers_alone,
        structural=True,
    ),
    _b(
        "flow.empty",
        "Every domain (dépense, recette, PJ) is removed: only Enveloppe and EnTetePES are left.",
        "PES-FLX-001",
        "ERREUR_FLUX_VIDE",
        _empty_flow,
        structural=True,
    ),
]
"""Mutations added to :data:`pes_v2.testing.MUTATIONS`, after the core ones."""
