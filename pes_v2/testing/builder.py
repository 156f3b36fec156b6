"""Streaming builder of correct synthetic PES_Aller flows.

A flow is written bordereau by bordereau and PJ by PJ through :func:`lxml.etree.xmlfile`,
so memory stays bounded by one bordereau (and a 64 KiB chunk of PJ content) whatever the
size of the flow. Output is a pure function of the :class:`FlowSpec`: same spec, same bytes.
"""

from __future__ import annotations

import base64
import io
import os
import random
import struct
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import IO, Any

from lxml import etree

from .values import (
    ASSOCIATIONS,
    BANKS,
    COMMUNES,
    COMPANIES,
    FIRST_NAMES,
    LAST_NAMES,
    STREETS,
    commune_siren,
    make_amount,
    make_iban_fr,
    make_rib,
    make_siret,
    vat,
)

__all__ = ["NS", "FlowSpec", "Signer", "build_flow", "write_flow"]

NS = "http://www.minefi.gouv.fr/cp/helios/pes_v2/Rev0/aller"
"""Namespace of the PES_Aller root (its children are unqualified)."""

Signer = Callable[[Any], None]
"""Signing hook: called with each ``Bordereau`` element (lxml) before it is serialised.

The element is the root of its own small tree (not yet attached to the flow), already
complete and carrying its ``Id``; the hook may append a ``ds:Signature`` as last child.
Sign with exclusive C14N: the flow's ``xmlns:n`` declaration is in scope once written.
"""

_ENCODINGS = {
    "ISO-8859-1": "ISO-8859-1",
    "LATIN-1": "ISO-8859-1",
    "LATIN1": "ISO-8859-1",
    "UTF-8": "UTF-8",
    "UTF8": "UTF-8",
}
_CHUNK = 64 * 1024
_B64_LINE = 57  # raw bytes per 76-character base64 line


@dataclass(frozen=True)
class FlowSpec:
    """What to generate. Every field has a small, valid default.

    ``depense``/``recette`` are numbers of bordereaux, ``pieces`` per bordereau, ``lines``
    per piece; ``pj`` attachments of ``pj_size`` bytes each (before gzip and base64),
    referenced by ``PJRef`` from the first pieces. ``target_bytes`` keeps adding bordereaux
    to the last domain present until the flow reaches about that size. ``signed`` sets
    ``InfoDematerialisee`` to 1 and requires ``signer`` (see :data:`Signer`).
    """

    seed: int = 0
    depense: int = 1
    recette: int = 0
    pieces: int = 3
    lines: int = 2
    pj: int = 0
    pj_size: int = 2000
    encoding: str = "ISO-8859-1"
    signed: bool = False
    signer: Signer | None = field(default=None, compare=False)
    target_bytes: int | None = None

    def __post_init__(self) -> None:
        enc = _ENCODINGS.get(self.encoding.upper().replace("_", "-"))
        if enc is None:
            raise ValueError(f"encoding must be ISO-8859-1 or UTF-8, not {self.encoding!r}")
        object.__setattr__(self, "encoding", enc)
        _check_range("depense", self.depense, 0, 9_999_999)
        _check_range("recette", self.recette, 0, 9_999_999)
        _check_range("pieces", self.pieces, 1, 99_999)
        _check_range("lines", self.lines, 1, 999_999)
        _check_range("pj", self.pj, 0, 9_999_999)
        _check_range("pj_size", self.pj_size, 1, 1 << 40)
        if self.depense + self.recette + self.pj == 0:
            raise ValueError("a flow needs at least one bordereau or one PJ")
        if self.signed != (self.signer is not None):
            raise ValueError("signed=True needs a signer, and a signer needs signed=True")
        if self.target_bytes is not None:
            _check_range("target_bytes", self.target_bytes, 1, 1 << 50)
            if self.depense + self.recette == 0:
                raise ValueError("target_bytes needs at least one dépense or recette bordereau")


def _check_range(name: str, value: int, low: int, high: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise ValueError(f"{name} must be an integer in [{low}, {high}], not {value!r}")


def _fit(text: str, limit: int) -> str:
    """``text`` cut at a word boundary to fewer than ``limit`` characters, when it is that
    long: a value exactly at its maximum length reads as silent truncation (PES-LNT-001)."""
    if len(text) < limit:
        return text
    cut = text[: limit - 1]
    space = cut.rfind(" ")
    return (cut[:space] if space > 0 else cut).rstrip()


def build_flow(spec: FlowSpec) -> bytes:
    """Return the whole flow described by ``spec`` as bytes."""
    buf = io.BytesIO()
    write_flow(spec, buf)
    return buf.getvalue()


def write_flow(spec: FlowSpec, out: IO[bytes] | str | os.PathLike[str]) -> int:
    """Stream the flow to a binary file object (or a path); return the number of bytes."""
    if isinstance(out, (str, os.PathLike)):
        with open(out, "wb") as f:
            return write_flow(spec, f)
    counter = _Counter(out)
    _Writer(spec).write(counter)
    return counter.count


class _Counter:
    """Binary sink that counts what goes through it."""

    def __init__(self, out: IO[bytes]) -> None:
        self.out, self.count = out, 0

    def write(self, data: bytes) -> int:
        self.out.write(data)
        self.count += len(data)
        return len(data)


def _v(parent: Any, tag: str, value: object) -> Any:
    return etree.SubElement(parent, tag, V=str(value))


def _el(tag: str, value: object) -> Any:
    return etree.Element(tag, V=str(value))


@dataclass
class _Tiers:
    kind: str  # "company" | "association" | "person"
    name: str
    first: str | None
    siret: str | None
    ref: str
    street: str
    commune: Any
    bank: tuple[str, ...] | None  # ("sepa", bic, iban) | ("rib", bank, branch, account, key)


class _Writer:
    """One generation run: holds the random state and the counters."""

    def __init__(self, spec: FlowSpec) -> None:
        self.spec = spec
        rng = self.rng = random.Random(spec.seed)
        self.exer = rng.randint(2023, 2025)
        self.day = date(self.exer, 1, 1) + timedelta(days=rng.randint(15, 340))
        self.commune = rng.choice(COMMUNES)
        self.siret = make_siret(rng, commune_siren(self.commune))
        self.idpost = f"0{self.commune.dept}{rng.randint(0, 99):03d}"
        self.codcol = f"{rng.randint(1, 999):03d}"
        self.idbord = {"D": rng.randint(1, 500), "R": rng.randint(1, 500)}
        self.idpce = {"D": rng.randint(1, 5000), "R": rng.randint(1, 5000)}
        self.cumul = make_amount(rng, "10000.00", "5000000.00")
        self.piece_no = 0
        self.pj_owner: dict[int, tuple[str, int]] = {}

    # -- identifiers -------------------------------------------------------------------
    def pj_id(self, i: int) -> str:
        return f"{self.siret}{self.exer}PJ{i + 1:08d}"

    def pj_name(self, i: int) -> str:
        return f"facture_{self.exer}_{i + 1:05d}.pdf"

    # -- top level ---------------------------------------------------------------------
    def write(self, sink: _Counter) -> None:
        spec = self.spec
        sink.write(f'<?xml version="1.0" encoding="{spec.encoding}"?>\n'.encode("ascii"))
        ymd = self.day.strftime("%y%m%d")
        with etree.xmlfile(sink, encoding=spec.encoding) as xf:
            root_id = f"PES{self.siret}{ymd}"
            with xf.element(f"{{{NS}}}PES_Aller", nsmap={"n": NS}, Id=root_id):
                xf.write("\n")
                xf.write(self._enveloppe(ymd), pretty_print=True)
                xf.write(self._entete(), pretty_print=True)
                domains = [("D", spec.depense), ("R", spec.recette)]
                last = "R" if spec.recette else "D"
                for dom, count in domains:
                    if count:
                        self._write_domain(xf, sink, dom, count, extend=dom == last)
                        xf.write("\n")
                if spec.pj:
                    self._write_pjs(xf)
                    xf.write("\n")
        sink.write(b"\n")

    def _enveloppe(self, ymd: str) -> Any:
        env = etree.Element("Enveloppe")
        par = etree.SubElement(env, "Parametres")
        _v(par, "Version", 2)
        _v(par, "TypFic", "PESALR2")
        _v(par, "NomFic", f"PESALR2_{self.siret}_{ymd}_{self.rng.randint(1, 999):03d}")
        emet = etree.SubElement(env, "Emetteur")
        _v(emet, "Sigle", "pes-v2 générateur")
        _v(emet, "Adresse", "Moteur PES synthétique")
        return env

    def _entete(self) -> Any:
        ent = etree.Element("EnTetePES")
        _v(ent, "DteStr", self.day.isoformat())
        _v(ent, "IdPost", self.idpost)
        _v(ent, "LibellePoste", f"SGC de {self.commune.name}")
        _v(ent, "IdColl", self.siret)
        _v(ent, "CodCol", self.codcol)
        _v(ent, "CodBud", "00")
        _v(ent, "LibelleColBud", f"Commune de {self.commune.name}")
        return ent

    def _write_domain(self, xf: Any, sink: _Counter, dom: str, count: int, extend: bool) -> None:
        spec = self.spec
        tag = "PES_DepenseAller" if dom == "D" else "PES_RecetteAller"
        with xf.element(tag):
            xf.write("\n")
            head = etree.Element("EnTeteDepense" if dom == "D" else "EnTeteRecette")
            _v(head, "IdVer", 2)
            _v(head, "InfoDematerialisee", 1 if spec.signed else 0)
            xf.write(head, pretty_print=True)
            target = spec.target_bytes if extend else None
            tail = self._tail_estimate()
            n = 0
            while n < count or (target is not None and sink.count + tail < target):
                bord = self._bordereau(dom)
                if spec.signer is not None:
                    _sign_in_place(spec.signer, bord, tag)
                xf.write(bord, pretty_print=True)
                xf.flush()  # keep xmlfile's output buffer small
                n += 1

    def _tail_estimate(self) -> int:
        """Lower bound of the bytes still to come after the last bordereau."""
        per_pj = 4 * max(self.spec.pj_size - 64, 0) // 3 + 300
        return 100 + self.spec.pj * per_pj

    # -- bordereaux --------------------------------------------------------------------
    def _bordereau(self, dom: str) -> Any:
        rng, spec = self.rng, self.spec
        self.idbord[dom] += 1
        idbord = self.idbord[dom]
        bord = etree.Element("Bordereau", Id=f"B{dom}{self.exer}-{idbord:07d}")
        bloc = etree.SubElement(bord, "BlocBordereau")
        ht = tva = Decimal("0.00")
        for _ in range(spec.pieces):
            piece, p_ht, p_tva = self._piece(dom)
            bord.append(piece)
            ht += p_ht
            tva += p_tva
        self.cumul += ht
        _v(bloc, "Exer", self.exer)
        _v(bloc, "IdBord", idbord)
        _v(bloc, "DteBordEm", (self.day - timedelta(days=rng.randint(0, 6))).isoformat())
        _v(bloc, "TypBord", "01")
        _v(bloc, "NbrPce", spec.pieces)
        _v(bloc, "MtCumulAnnuel", self.cumul)
        _v(bloc, "MtBordHT" if dom == "D" else "MtBordHt", ht)
        if tva > 0:
            _v(bloc, "MtBordTVA", tva)
        return bord

    def _piece(self, dom: str) -> tuple[Any, Decimal, Decimal]:
        rng, spec = self.rng, self.spec
        self.idpce[dom] += 1
        idpce = self.idpce[dom]
        invest = rng.random() < 0.2 if dom == "D" else False
        piece = etree.Element("Piece")
        bloc = etree.SubElement(piece, "BlocPiece")
        info = etree.SubElement(bloc, "InfoPce") if dom == "D" else bloc
        _v(info, "IdPce", idpce)
        _v(info, "TypPce", "01")
        _v(info, "NatPce", "02" if invest else "01")
        subject = rng.choice(_INVEST if invest else (_DEPENSE if dom == "D" else _RECETTE))
        month = _MONTHS[self.day.month - 1]
        _v(info, "Obj" if dom == "D" else "ObjPce", f"{subject[1]} - {month} {self.exer}")
        g = self.piece_no
        self.piece_no += 1
        if g < spec.pj:
            self.pj_owner[g] = (dom, idpce)
            ref = etree.SubElement(info, "PJRef")
            _v(ref, "Support", "01")
            _v(ref, "IdUnique", self.pj_id(g))
            _v(ref, "NomPJ", self.pj_name(g))
            _v(ref, "TypePJ", "003" if dom == "D" else "002")
        tiers = self._tiers(dom)
        ht = tva = Decimal("0.00")
        facture = f"FA{self.exer}-{rng.randint(1, 99999):05d}"
        for k in range(1, spec.lines + 1):
            line, l_ht, l_tva = self._line(dom, k, subject[0], facture, tiers)
            piece.append(line)
            ht += l_ht
            tva += l_tva
        return piece, ht, tva

    def _line(
        self, dom: str, k: int, nature: str, facture: str, tiers: _Tiers
    ) -> tuple[Any, Decimal, Decimal]:
        rng = self.rng
        ht = make_amount(rng, "5.00", "25000.00")
        rate = rng.choice(_RATES) if rng.random() < 0.6 else None
        tva = vat(ht, rate) if rate is not None else Decimal("0.00")
        line = etree.Element("LigneDePiece")
        bloc = etree.SubElement(line, "BlocLignePiece")
        if dom == "D":
            info = etree.SubElement(bloc, "InfoLignePce")
            _v(info, "IdLigne", k)
            _v(info, "Nature", nature)
            _v(info, "Fonction", rng.choice(_FONCTIONS))
            _v(info, "Facture", facture)
            _v(info, "LibVir1", f"Facture {facture}")
            roll = rng.random()
            if tiers.bank is not None and roll < 0.85:
                modregl = "03"
            else:
                modregl = "02" if roll < 0.95 else "01"
            _v(info, "ModRegl", modregl)
            _v(info, "TVAIntraCom", 0)
            _v(info, "MtHT", ht)
            if tva > 0:
                _v(info, "MtTVA", tva)
            line.append(self._tiers_el(dom, tiers, with_bank=modregl == "03"))
        else:
            info = etree.SubElement(bloc, "InfoLignePiece")
            _v(info, "IdLigne", k)
            _v(info, "ObjLignePce", f"Facture {facture}")
            _v(info, "CodProdLoc", rng.choice(_CODPROD))
            _v(info, "Nature", nature)
            _v(info, "Fonction", rng.choice(_FONCTIONS))
            if tva > 0:
                _v(info, "TxTva", f"{rate:.2f}")
            _v(info, "Majo", 0)
            _v(info, "TvaIntraCom", 0)
            _v(info, "MtHT", ht)
            if tva > 0:
                _v(info, "MtTVA", tva)
            line.append(self._tiers_el(dom, tiers, with_bank=tiers.bank is not None))
        return line, ht, tva

    # -- tiers -------------------------------------------------------------------------
    def _tiers(self, dom: str) -> _Tiers:
        rng = self.rng
        roll = rng.random()
        if dom == "R":
            roll = 0.9 if roll < 0.7 else roll * 0.8
        first: str | None = None
        siret: str | None = None
        if roll < 0.6:
            kind, name, siret = "company", rng.choice(COMPANIES), make_siret(rng)
        elif roll < 0.75:
            kind, name, siret = "association", rng.choice(ASSOCIATIONS), make_siret(rng)
        else:
            kind, name, first = "person", rng.choice(LAST_NAMES), rng.choice(FIRST_NAMES)
        bank: tuple[str, ...] | None = None
        if rng.random() < 0.9:
            b = rng.choice(BANKS)
            if rng.random() < 0.75:
                bank = ("sepa", b.bic, make_iban_fr(rng, b.code))
            else:
                bank = ("rib", *make_rib(rng, b.code))
        return _Tiers(
            kind,
            name,
            first,
            siret,
            f"T{rng.randint(1, 99999):05d}",
            f"{rng.randint(1, 120)} {rng.choice(STREETS)}",
            rng.choice(COMMUNES),
            bank,
        )

    def _tiers_el(self, dom: str, t: _Tiers, *, with_bank: bool) -> Any:
        el = etree.Element("Tiers")
        info = etree.SubElement(el, "InfoTiers")
        if t.siret:
            _v(info, "IdTiers", t.siret)
            _v(info, "NatIdTiers", "01")
        _v(info, "RefTiers", t.ref)
        _v(info, "CatTiers", "01" if t.kind == "person" else "50")
        _v(info, "NatJur", {"person": "01", "company": "03", "association": "06"}[t.kind])
        if dom == "R":
            _v(info, "TypTiers", "01")
        if t.kind == "person":
            _v(info, "Civilite", "MME" if t.first in _FEMININE else "M")
        _v(info, "Nom", t.name)
        if t.first:
            _v(info, "Prenom", t.first)
        adr = etree.SubElement(el, "Adresse")
        _v(adr, "TypAdr", 1)
        _v(adr, "Adr2", t.street)
        _v(adr, "CP", t.commune.cp)
        _v(adr, "Ville", t.commune.name)
        _v(adr, "CodRes", 0)
        if with_bank and t.bank is not None:
            cpte = etree.SubElement(el, "CpteBancaire")
            if t.bank[0] == "sepa":
                _v(cpte, "BIC", t.bank[1])
                _v(cpte, "IBAN", t.bank[2])
            else:
                for tag, value in zip(_RIB_TAGS, t.bank[1:], strict=True):
                    _v(cpte, tag, value)
            holder = f"{t.first} {t.name}" if t.first else t.name
            _v(cpte, "TitCpte", _fit(holder, 32))
        return el

    # -- PJ ----------------------------------------------------------------------------
    def _write_pjs(self, xf: Any) -> None:
        with xf.element("PES_PJ"):
            xf.write("\n")
            head = etree.Element("EnTetePES_PJ")
            _v(head, "IdVer", 1)
            xf.write(head, pretty_print=True)
            for i in range(self.spec.pj):
                with xf.element("PJ"):
                    xf.write("\n")
                    with xf.element("Contenu"), xf.element("Fichier", MIMEType="application/pdf"):
                        for chunk in pj_base64_chunks(self.spec.seed, i, self.spec.pj_size):
                            xf.write(chunk)
                            xf.flush()
                    xf.write("\n")
                    owner = self.pj_owner.get(i)
                    xf.write(_el("IdUnique", self.pj_id(i)), pretty_print=True)
                    xf.write(_el("NomPJ", self.pj_name(i)), pretty_print=True)
                    if owner is not None:
                        xf.write(
                            _el("TypePJ", "003" if owner[0] == "D" else "002"), pretty_print=True
                        )
                        kind = "mandat" if owner[0] == "D" else "titre"
                        desc = f"Facture justifiant le {kind} n° {owner[1]}"
                    else:
                        desc = f"Pièce justificative n° {i + 1}"
                    xf.write(_el("Description", desc), pretty_print=True)
                    if owner is not None and i % 2 == 0:  # every other PJ names its object
                        xf.write(self._refcompta(*owner), pretty_print=True)
                xf.write("\n")

    def _refcompta(self, dom: str, idpce: int) -> Any:
        ref = etree.Element("RefCompta")
        _v(ref, "Domaine", "01" if dom == "D" else "02")
        _v(ref, "Exercice", self.exer)
        _v(ref, "TypeObjet", "01")  # TypBord of the generated bordereaux
        _v(ref, "Identifiant", idpce)
        return ref


def pj_content_chunks(seed: int, index: int, size: int) -> Iterator[bytes]:
    """Original content of PJ ``index``: a PDF-looking byte string of ``size`` bytes."""
    rng = random.Random(f"pes-v2-pj-{seed}-{index}")
    head = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n"
    tail = b"\n%%EOF\n"
    if size < len(head) + len(tail):
        yield (head + tail)[:size]
        return
    yield head
    left = size - len(head) - len(tail)
    while left > 0:
        n = min(left, _CHUNK)
        yield rng.randbytes(n)
        left -= n
    yield tail


def gzip_chunks(chunks: Iterator[bytes]) -> Iterator[bytes]:
    """Gzip (RFC 1952) a stream, with a fixed header (mtime 0, OS 255) for determinism."""
    yield b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\xff"
    comp = zlib.compressobj(6, zlib.DEFLATED, -15)
    crc = size = 0
    for chunk in chunks:
        crc = zlib.crc32(chunk, crc)
        size += len(chunk)
        out = comp.compress(chunk)
        if out:
            yield out
    yield comp.flush() + struct.pack("<II", crc & 0xFFFFFFFF, size & 0xFFFFFFFF)


def base64_lines(chunks: Iterator[bytes]) -> Iterator[str]:
    """Base64-encode a byte stream as 76-character lines, each ending with a newline."""
    pending = b""
    yield "\n"
    for chunk in chunks:
        pending += chunk
        cut = len(pending) - len(pending) % (_B64_LINE * 64)
        if cut:
            yield base64.encodebytes(pending[:cut]).decode("ascii")
            pending = pending[cut:]
    if pending:
        yield base64.encodebytes(pending).decode("ascii")


def pj_base64_chunks(seed: int, index: int, size: int) -> Iterator[str]:
    """Text of ``Fichier`` for PJ ``index``: gzip then base64 of its content."""
    return base64_lines(gzip_chunks(pj_content_chunks(seed, index, size)))


_RIB_TAGS = ("CodeEtab", "CodeGuic", "IdCpte", "CleRib")
_MONTHS = (
    "janvier",
    "février",
    "mars",
    "avril",
    "mai",
    "juin",
    "juillet",
    "août",
    "septembre",
    "octobre",
    "novembre",
    "décembre",
)
_FEMININE = frozenset(
    {"Élodie", "Hélène", "Gaëlle", "Anaïs", "Thérèse", "Cécile", "Zoé", "Mélanie", "Clémence"}
)
_RATES = (Decimal("20"), Decimal("10"), Decimal("5.5"))
_FONCTIONS = ("020", "212", "213", "251", "311", "411", "64", "822", "833")
_CODPROD = ("CANT", "PERI", "LOYR", "SPOR", "EAU", "DIV1")
_DEPENSE = (
    ("60611", "Fourniture d'eau"),
    ("60612", "Fourniture d'électricité"),
    ("6064", "Fournitures administratives"),
    ("6156", "Maintenance des chaudières"),
    ("6232", "Fêtes et cérémonies"),
    ("611", "Prestation de restauration scolaire"),
    ("6135", "Location de matériel"),
    ("61521", "Entretien des espaces verts"),
)
_INVEST = (
    ("2183", "Matériel informatique"),
    ("2184", "Mobilier scolaire"),
    ("2313", "Travaux de rénovation de l'école"),
    ("2152", "Réfection de la voirie"),
)
_RECETTE = (
    ("7067", "Restauration scolaire"),
    ("70632", "Redevance à caractère sportif"),
    ("752", "Loyer d'un logement communal"),
    ("70878", "Remboursement de frais"),
    ("7083", "Location de la salle des fêtes"),
)


def _sign_in_place(signer: Signer, bord: Any, domain_tag: str) -> None:
    """Sign ``bord`` where it will stand: under the root and its domain, whose namespace
    declarations inclusive C14N takes into what is signed (the bordereau is written out
    detached, as it was built)."""
    root = etree.Element(f"{{{NS}}}PES_Aller", nsmap={"n": NS})
    etree.SubElement(root, domain_tag).append(bord)
    signer(bord)
    bord.getparent().remove(bord)
