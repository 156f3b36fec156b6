"""Conformance of the embedded default schema (``schemas/``) with the official DGFiP bundle v5.30.

The embedded schema must give the same verdict (valid / invalid) as the official
``PES_V2/Rev0/PES_Aller.xsd`` on every PES_Aller of the reference corpus and on single-point
mutations of two small valid flows (``fixtures/valid/embedded-base-*.xml``). Where it
deliberately differs, the difference is listed in ``docs/schemas.md`` (section
"Differences from the official bundle") and every case below that shows it carries that id.
The last test checks that the documented list and the observed list are the same.
"""

from __future__ import annotations

import copy
import functools
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from lxml import etree

REPO = Path(__file__).resolve().parents[2]
SCHEMAS = REPO / "schemas"
EMBEDDED_ROOT = SCHEMAS / "PES_Aller.xsd"
FIXTURES = REPO / "fixtures" / "valid"
SCHEMAS_DOC = REPO / "docs" / "schemas.md"
OFFICIAL_REL = Path("xsd/schemas_pes_v5.30/PES_V2/Rev0/PES_Aller.xsd")

ALLER_NS = "http://www.minefi.gouv.fr/cp/helios/pes_v2/Rev0/aller"
DS_NS = "http://www.w3.org/2000/09/xmldsig#"
XAD_NS = "http://uri.etsi.org/01903/v1.1.1#"
ALLER_ROOT = f"{{{ALLER_NS}}}PES_Aller"

# Corpus files on which the embedded schema is known to disagree, with the documented id.
MARCHE_2017 = (
    "test__PHPUnit__module__pes-marche__fixtures__exemple_marche_contrat_initial_nov2017.xml"
)
KNOWN_CORPUS_DIFFS = {MARCHE_2017: "diff-marche-unchecked"}


# --------------------------------------------------------------------------- helpers


@functools.cache
def _schema(path: str) -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(path))


def embedded_schema() -> etree.XMLSchema:
    return _schema(str(EMBEDDED_ROOT))


def official_schema(shared_reference: Path) -> etree.XMLSchema:
    path = shared_reference / OFFICIAL_REL
    if not path.is_file():
        pytest.fail(f"official v5.30 bundle missing: {path}")
    return _schema(str(path))


@dataclass(frozen=True)
class Verdict:
    valid: bool
    line: int | None
    message: str


def verdict(schema: etree.XMLSchema, tree: etree._ElementTree) -> Verdict:
    ok = schema.validate(tree)
    errors = schema.error_log.filter_from_errors()
    if ok or not errors:
        return Verdict(ok, None, "")
    return Verdict(ok, errors[0].line, errors[0].message)


def reparse(tree: etree._ElementTree) -> etree._ElementTree:
    """Serialise and parse again so that line numbers reflect the mutated document."""
    return etree.fromstring(etree.tostring(tree, encoding="ISO-8859-1")).getroottree()


def documented_diff_ids() -> set[str]:
    text = SCHEMAS_DOC.read_text(encoding="utf-8")
    match = re.search(
        r"^## Differences from the official bundle\s*$(.*?)(?=^## |\Z)", text, re.M | re.S
    )
    assert match, "docs/schemas.md has no 'Differences from the official bundle' section"
    return set(re.findall(r"^[-*] `([a-z0-9-]+)`", match.group(1), re.M))


def corpus_aller_files(shared_reference: Path) -> list[Path]:
    files = []
    for path in sorted((shared_reference / "corpus").glob("*/*.xml")):
        try:
            root = etree.parse(str(path)).getroot()
        except etree.XMLSyntaxError:
            continue
        if root.tag == ALLER_ROOT:
            files.append(path)
    return files


# --------------------------------------------------------------------------- mutations

Mutator = Callable[[etree._Element], None]


def _one(root: etree._Element, path: str) -> etree._Element:
    found = root.xpath(path, namespaces={"ds": DS_NS, "xad": XAD_NS})
    assert found, f"mutation path matches nothing: {path}"
    return found[0]


def set_v(path: str, value: str) -> Mutator:
    def run(root):
        _one(root, path).set("V", value)

    return run


def set_attr(path: str, name: str, value: str) -> Mutator:
    def run(root):
        _one(root, path).set(name, value)

    return run


def del_attr(path: str, name: str) -> Mutator:
    def run(root):
        del _one(root, path).attrib[name]

    return run


def set_text(path: str, text: str) -> Mutator:
    def run(root):
        _one(root, path).text = text

    return run


def remove(path: str) -> Mutator:
    def run(root):
        el = _one(root, path)
        el.getparent().remove(el)

    return run


def duplicate(path: str) -> Mutator:
    def run(root):
        el = _one(root, path)
        el.addnext(copy.deepcopy(el))

    return run


def swap_with_next(path: str) -> Mutator:
    def run(root):
        el = _one(root, path)
        nxt = el.getnext()
        assert nxt is not None, path
        el.addprevious(nxt)

    return run


def move_before(path: str, before: str) -> Mutator:
    def run(root):
        el = _one(root, path)
        _one(root, before).addprevious(el)

    return run


def insert(path: str, snippet: str, where: str = "after") -> Mutator:
    """Insert an XML snippet after / before / as last child ('append') of the target."""

    def run(root):
        wrapper = etree.fromstring(
            f'<w xmlns:ds="{DS_NS}" xmlns:xad="{XAD_NS}" xmlns:depa="http://www.minefi.gouv.fr/cp/helios/'
            f'pes_v2/depense/r0/aller" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">{snippet}</w>'
        )
        target = _one(root, path)
        for new in reversed(list(wrapper)):
            if where == "after":
                target.addnext(new)
            elif where == "before":
                target.addprevious(new)
            else:
                target.append(new)
        # keep prefixes declared where they are used
        etree.cleanup_namespaces(root)

    return run


def both(*mutators: Mutator) -> Mutator:
    def run(root):
        for m in mutators:
            m(root)

    return run


# A structurally complete XML-DSig signature (values are not meant to verify).
SIG = (
    '<ds:Signature Id="SIG1"><ds:SignedInfo>'
    '<ds:CanonicalizationMethod Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"/>'
    '<ds:SignatureMethod Algorithm="http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"/>'
    '<ds:Reference URI="#BORD"><ds:Transforms>'
    '<ds:Transform Algorithm="http://www.w3.org/2000/09/xmldsig#enveloped-signature"/></ds:Transforms>'
    '<ds:DigestMethod Algorithm="http://www.w3.org/2001/04/xmlenc#sha256"/>'
    "<ds:DigestValue>AAAA</ds:DigestValue></ds:Reference></ds:SignedInfo>"
    "<ds:SignatureValue>AAAA</ds:SignatureValue>"
    "<ds:KeyInfo><ds:X509Data><ds:X509Certificate>AAAA</ds:X509Certificate></ds:X509Data></ds:KeyInfo>"
    "{object}</ds:Signature>"
)
XADES_OK = (
    '<ds:Object><xad:QualifyingProperties Target="#SIG1"><xad:SignedProperties Id="SP1">'
    "<xad:SignedSignatureProperties><xad:SigningTime>2024-03-15T10:00:00Z</xad:SigningTime>"
    "<xad:SigningCertificate><xad:Cert><xad:CertDigest>"
    '<xad:DigestMethod Algorithm="http://www.w3.org/2000/09/xmldsig#sha1"/>'
    "<xad:DigestValue>AAAA</xad:DigestValue></xad:CertDigest>"
    "<xad:IssuerSerial><ds:X509IssuerName>CN=Test</ds:X509IssuerName>"
    "<ds:X509SerialNumber>123456789012345678901234567890</ds:X509SerialNumber></xad:IssuerSerial>"
    "</xad:Cert></xad:SigningCertificate>"
    "<xad:SignaturePolicyIdentifier><xad:SignaturePolicyId><xad:SigPolicyId>"
    "<xad:Identifier>urn:oid:1.2.250.1.131.1.5.18.21.1.7</xad:Identifier></xad:SigPolicyId>"
    '<xad:SigPolicyHash><xad:DigestMethod Algorithm="http://www.w3.org/2000/09/xmldsig#sha1"/>'
    "<xad:DigestValue>AAAA</xad:DigestValue></xad:SigPolicyHash></xad:SignaturePolicyId>"
    "</xad:SignaturePolicyIdentifier>"
    "<xad:SignerRole><xad:ClaimedRoles><xad:ClaimedRole>Ordonnateur</xad:ClaimedRole></xad:ClaimedRoles>"
    "</xad:SignerRole></xad:SignedSignatureProperties></xad:SignedProperties>{unsigned}"
    "</xad:QualifyingProperties></ds:Object>"
)
SIGNATURE = SIG.format(object="")
SIGNATURE_XADES = SIG.format(object=XADES_OK.format(unsigned=""))
SIGNATURE_2 = SIGNATURE.replace('Id="SIG1"', 'Id="SIG2"')

D = "embedded-base-depense.xml"
R = "embedded-base-recette.xml"
DEP = "//PES_DepenseAller"
REC = "//PES_RecetteAller"
PJ = "//PES_PJ/PJ"


@dataclass(frozen=True)
class Case:
    id: str
    base: str
    mutate: Mutator | None
    diff: str | None = None  # documented difference id when the verdicts are expected to differ


CASES = [
    # --- the bases themselves
    Case("base-depense", D, None),
    Case("base-recette", R, None),
    # --- wrong type / facet
    Case("dep-type-idbord-text", D, set_v(f"{DEP}//IdBord", "abc")),
    Case("dep-type-idbord-8digits", D, set_v(f"{DEP}//IdBord", "12345678")),
    Case("dep-type-date", D, set_v(f"{DEP}//DteBordEm", "2024-02-30")),
    Case("dep-type-exer", D, set_v(f"{DEP}//Exer", "24")),
    Case("dep-type-amount-comma", D, set_v(f"{DEP}//MtHT", "12,50")),
    Case("dep-type-amount-3dec", D, set_v(f"{DEP}//MtHT", "12.505")),
    Case("dep-type-nbrpce-zero", D, set_v(f"{DEP}//NbrPce", "0")),
    Case("dep-type-boolean", D, set_v(f"{DEP}//TVAIntraCom", "oui")),
    Case("dep-type-cp-letters", D, set_v(f"{DEP}//CP", "34OOO")),
    Case("dep-type-iban", D, set_v(f"{DEP}//IBAN", "FRXX")),
    Case("dep-type-bic", D, set_v(f"{DEP}//BIC", "bnpafrpp")),
    Case("dep-type-nom-empty", D, set_v(f"{DEP}//InfoTiers/Nom", "")),
    Case("dep-type-idtiers-short", D, set_v(f"{DEP}//IdTiers", "123")),
    Case("env-type-idpost", D, set_v("//EnTetePES/IdPost", "34000")),
    Case("env-type-idpost-corsica", D, set_v("//EnTetePES/IdPost", "02A123")),
    Case("env-type-idcoll-letter", D, set_v("//EnTetePES/IdColl", "2134017220178A")),
    Case("env-type-codcol-zero", D, set_v("//EnTetePES/CodCol", "000")),
    Case("env-type-nomfic-nc", D, set_v("//Parametres/NomFic", "nc")),
    Case("env-type-root-id", D, set_attr("/*", "Id", "1PES")),
    Case("env-type-bordereau-dup-id", D, set_attr(f"{DEP}/Bordereau", "Id", "PESDEP1")),
    Case("rec-type-mtbordht-zero", R, set_v(f"{REC}//MtBordHt", "0")),
    Case("rec-type-mtht-zero", R, set_v(f"{REC}//MtHT", "0.00")),
    Case("rec-type-exer-5digits", R, set_v(f"{REC}//Exer", "20245")),
    Case("rec-type-idpce-negative", R, set_v(f"{REC}//IdPce", "-1")),
    Case("rec-type-codprodloc-long", R, set_v(f"{REC}//CodProdLoc", "12345")),
    Case("rec-type-majo", R, set_v(f"{REC}//Majo", "2")),
    Case("pj-type-idver", D, set_v("//EnTetePES_PJ/IdVer", "X")),
    Case("pj-type-idver-2digits", R, set_v("//EnTetePES_PJ/IdVer", "12")),
    Case("pj-type-fichier-base64", D, set_text(f"{PJ}/Contenu/Fichier", "not base64 !!")),
    Case("pj-type-nompj-no-extension", R, set_v(f"{PJ}/NomPJ", "facture")),
    Case("pj-type-idunique-symbols", D, set_v(f"{PJ}/IdUnique", "PJ-0001/A")),
    Case("pj-type-exercice", R, set_v(f"{PJ}/RefCompta/Exercice", "24")),
    # --- missing element / attribute
    Case("dep-missing-idpce", D, remove(f"{DEP}//InfoPce/IdPce")),
    Case("dep-missing-tvaintracom", D, remove(f"{DEP}//TVAIntraCom")),
    Case("dep-missing-nbrpce", D, remove(f"{DEP}//NbrPce")),
    Case("dep-missing-piece", D, remove(f"{DEP}//Piece")),
    Case("dep-missing-adr2", D, remove(f"{DEP}//Adresse/Adr2")),
    Case("dep-missing-titcpte", D, remove(f"{DEP}//TitCpte")),
    Case("dep-missing-v", D, del_attr(f"{DEP}//IdLigne", "V")),
    Case("dep-missing-optional-fonction", D, remove(f"{DEP}//Fonction")),
    Case("env-missing-nomfic", R, remove("//Parametres/NomFic")),
    Case("env-missing-codbud", R, remove("//EnTetePES/CodBud")),
    Case("env-missing-emetteur", R, remove("//Enveloppe/Emetteur")),
    Case("rec-missing-majo", R, remove(f"{REC}//Majo")),
    Case("rec-missing-adresse", R, remove(f"{REC}//Tiers/Adresse")),
    Case("rec-missing-codprodloc", R, remove(f"{REC}//CodProdLoc")),
    Case("rec-missing-typtiers", R, remove(f"{REC}//TypTiers")),
    Case("rec-missing-enteterecette", R, remove(f"{REC}/EnTeteRecette")),
    Case("pj-missing-description", D, remove(f"{PJ}/Description")),
    Case("pj-missing-contenu", R, remove(f"{PJ}/Contenu")),
    Case("pj-missing-entete", D, remove("//PES_PJ/EnTetePES_PJ")),
    Case("pj-missing-mimetype", R, del_attr(f"{PJ}/Contenu/Fichier", "MIMEType")),
    Case("pj-missing-refcompta-domaine", D, remove(f"{PJ}/RefCompta/Domaine")),
    Case("pj-missing-all-pj", D, remove(PJ)),
    # --- extra element / attribute
    Case("dep-extra-blocbordereau", D, duplicate(f"{DEP}//BlocBordereau")),
    Case("dep-extra-unknown", D, insert(f"{DEP}//InfoLignePce/Nature", '<Foo V="1"/>')),
    Case("dep-extra-tiers", D, duplicate(f"{DEP}//Tiers")),
    Case("dep-extra-attribute", D, set_attr(f"{DEP}//Nature", "Foo", "1")),
    Case("dep-extra-text", D, set_text(f"{DEP}//Nature", "6064")),
    Case(
        "dep-extra-second-bordereau-allowed",
        D,
        both(duplicate(f"{DEP}/Bordereau"), set_attr(f"{DEP}/Bordereau[2]", "Id", "BORDDEP2")),
    ),
    Case("dep-extra-second-bordereau-same-id", D, duplicate(f"{DEP}/Bordereau")),
    Case("dep-extra-entete", D, duplicate(f"{DEP}/EnTeteDepense")),
    Case("rec-extra-tiers-allowed", R, duplicate(f"{REC}//Tiers")),
    Case("rec-extra-unknown", R, insert(f"{REC}//BlocPiece/IdPce", '<Foo V="1"/>')),
    Case(
        "rec-extra-depense-element",
        R,
        insert(f"{REC}//InfoLignePiece/MtHT", '<MtFactHT V="1.00"/>'),
    ),
    Case("pj-extra-idunique", D, duplicate(f"{PJ}/IdUnique")),
    Case("pj-extra-after-refcompta", R, insert(f"{PJ}/RefCompta", '<Foo V="1"/>')),
    Case("pj-extra-root-level-pj", D, insert("//PES_PJ", "<PJ/>")),
    Case("pj-extra-second-pes-pj", R, duplicate("//PES_PJ")),
    Case("root-extra-unknown", D, insert("//PES_PJ", '<Autre V="1"/>')),
    # --- out of order
    Case("dep-order-typpce-natpce", D, swap_with_next(f"{DEP}//InfoPce/TypPce")),
    Case("dep-order-exer-idbord", D, swap_with_next(f"{DEP}//BlocBordereau/Exer")),
    Case("dep-order-tiers-first", D, move_before(f"{DEP}//Tiers", f"{DEP}//BlocLignePiece")),
    Case("dep-order-bic-iban", D, swap_with_next(f"{DEP}//BIC")),
    Case("rec-order-majo-tva", R, swap_with_next(f"{REC}//Majo")),
    Case("rec-order-idpce-typpce", R, swap_with_next(f"{REC}//BlocPiece/IdPce")),
    Case("rec-order-civilite-nom", R, swap_with_next(f"{REC}//Civilite")),
    Case("pj-order-nompj-idunique", D, move_before(f"{PJ}/NomPJ", f"{PJ}/IdUnique")),
    Case("pj-order-description-typepj", R, swap_with_next(f"{PJ}/TypePJ")),
    Case("root-order-pj-before-depense", D, move_before("//PES_PJ", DEP)),
    Case("root-order-entete-enveloppe", R, swap_with_next("//Enveloppe")),
    # --- bad enumeration value
    Case("dep-enum-typbord", D, set_v(f"{DEP}//TypBord", "05")),
    Case("dep-enum-typbord-04-allowed", D, set_v(f"{DEP}//TypBord", "04")),
    Case("dep-enum-typpce", D, set_v(f"{DEP}//TypPce", "99")),
    Case("dep-enum-natpce-15", D, set_v(f"{DEP}//NatPce", "15")),
    Case("dep-enum-natpce-18-allowed", D, set_v(f"{DEP}//NatPce", "18")),
    Case("dep-enum-modregl", D, set_v(f"{DEP}//ModRegl", "99")),
    Case("dep-enum-cattiers", D, set_v(f"{DEP}//CatTiers", "99")),
    Case("dep-enum-natjur", D, set_v(f"{DEP}//NatJur", "99")),
    Case("dep-enum-natidtiers", D, set_v(f"{DEP}//NatIdTiers", "99")),
    Case("dep-enum-typadr", D, set_v(f"{DEP}//TypAdr", "3")),
    Case("dep-enum-pjref-support", D, set_v(f"{DEP}//PJRef/Support", "09")),
    Case("rec-enum-typbord", R, set_v(f"{REC}//TypBord", "07")),
    Case("rec-enum-typbord-06-allowed", R, set_v(f"{REC}//TypBord", "06")),
    Case("rec-enum-typpce-08", R, set_v(f"{REC}//TypPce", "08")),
    Case("rec-enum-natpce", R, set_v(f"{REC}//NatPce", "12")),
    Case("rec-enum-typtiers", R, set_v(f"{REC}//TypTiers", "08")),
    Case("rec-enum-cattiers", R, set_v(f"{REC}//CatTiers", "00")),
    Case("pj-enum-typepj", D, set_v(f"{PJ}/TypePJ", "099")),
    Case("pj-enum-domaine", R, set_v(f"{PJ}/RefCompta/Domaine", "99")),
    Case("pj-enum-typeobjet", D, set_v(f"{PJ}/RefCompta/TypeObjet", "99")),
    # --- signature placement (ds:Signature only last in Bordereau and in PES_Aller)
    Case("sig-bordereau-last", D, insert(f"{DEP}/Bordereau", SIGNATURE, "append")),
    Case("sig-bordereau-xades", R, insert(f"{REC}/Bordereau", SIGNATURE_XADES, "append")),
    Case("sig-root-last", D, insert("/*", SIGNATURE_XADES, "append")),
    Case(
        "sig-both-levels",
        R,
        both(insert(f"{REC}/Bordereau", SIGNATURE_2, "append"), insert("/*", SIGNATURE, "append")),
    ),
    Case("sig-bordereau-first", D, insert(f"{DEP}/Bordereau/BlocBordereau", SIGNATURE, "before")),
    Case("sig-in-piece", D, insert(f"{DEP}//Piece", SIGNATURE, "append")),
    Case("sig-in-pj", R, insert(PJ, SIGNATURE, "append")),
    Case("sig-root-before-pj", D, insert("//PES_PJ", SIGNATURE, "before")),
    Case(
        "sig-root-twice",
        R,
        both(insert("/*", SIGNATURE, "append"), insert("/*", SIGNATURE_2, "append")),
    ),
    Case(
        "sig-bordereau-twice",
        D,
        both(
            insert(f"{DEP}/Bordereau", SIGNATURE_2, "append"),
            insert(f"{DEP}/Bordereau", SIGNATURE, "append"),
        ),
    ),
    Case(
        "sig-missing-signedinfo",
        D,
        both(insert("/*", SIGNATURE, "append"), remove("//ds:SignedInfo")),
    ),
    Case(
        "sig-keyinfo-order",
        R,
        both(insert("/*", SIGNATURE, "append"), move_before("//ds:KeyInfo", "//ds:SignatureValue")),
    ),
    Case(
        "sig-serial-not-integer",
        D,
        both(insert("/*", SIGNATURE_XADES, "append"), set_text("//ds:X509SerialNumber", "12AB")),
    ),
    Case(
        "sig-xades-ds-digest",
        R,
        both(
            insert("/*", SIGNATURE_XADES, "append"),
            set_attr(
                "//xad:CertDigest/xad:DigestMethod",
                "Algorithm",
                "http://www.w3.org/2000/09/xmldsig#sha1",
            ),
            insert(
                "//xad:CertDigest/xad:DigestMethod",
                '<ds:DigestMethod Algorithm="http://www.w3.org/2000/09/xmldsig#sha1"/>',
                "before",
            ),
            remove("//xad:CertDigest/xad:DigestMethod"),
        ),
    ),
    Case(
        "sig-xades-missing-signingtime",
        D,
        both(insert("/*", SIGNATURE_XADES, "append"), remove("//xad:SigningTime")),
    ),
    Case(
        "sig-xades-two-claimed-roles",
        R,
        both(insert("/*", SIGNATURE_XADES, "append"), duplicate("//xad:ClaimedRole")),
    ),
    # --- documented differences: each case shows one of them
    Case(
        "diff-facture-content",
        D,
        insert(DEP, "<PES_Facture><Foo/></PES_Facture>"),
        diff="diff-facture-unchecked",
    ),
    Case(
        "diff-marche-content",
        R,
        insert(REC, "<PES_Marche><Foo/></PES_Marche>"),
        diff="diff-marche-unchecked",
    ),
    Case(
        "diff-xmldsig-manifest",
        D,
        insert("/*", SIG.format(object="<ds:Object><ds:Manifest/></ds:Object>"), "append"),
        diff="diff-xmldsig-compact",
    ),
    Case(
        "diff-xades-unsigned",
        R,
        insert(
            "/*",
            SIG.format(
                object=XADES_OK.format(
                    unsigned="<xad:UnsignedProperties><xad:Bogus/></xad:UnsignedProperties>"
                )
            ),
            "append",
        ),
        diff="diff-xades-compact",
    ),
    Case(
        "diff-xsi-type-named",
        D,
        set_attr(
            f"{DEP}/EnTeteDepense",
            "{http://www.w3.org/2001/XMLSchema-instance}type",
            "depa:TEnTeteDepense",
        ),
        diff="diff-type-names",
    ),
]


def _needs_ns(case: Case) -> bool:
    return case.id == "diff-xsi-type-named"


def build_case(case: Case) -> etree._ElementTree:
    tree = etree.parse(str(FIXTURES / case.base))
    root = tree.getroot()
    if _needs_ns(case):
        # declare the prefix used in the xsi:type value on the root element
        new_root = etree.Element(
            root.tag,
            nsmap={
                **root.nsmap,
                "depa": "http://www.minefi.gouv.fr/cp/helios/pes_v2/depense/r0/aller",
            },
        )
        new_root.attrib.update(root.attrib)
        new_root.extend(list(root))
        tree = etree.ElementTree(new_root)
        root = new_root
    if case.mutate is not None:
        case.mutate(root)
    return reparse(tree)


def observed_case_diff(case: Case, official: etree.XMLSchema) -> tuple[Verdict, Verdict]:
    tree = build_case(case)
    return verdict(official, tree), verdict(embedded_schema(), tree)


# --------------------------------------------------------------------------- tests


@pytest.mark.parametrize("xsd", sorted(p.name for p in SCHEMAS.glob("*.xsd")))
def test_embedded_schema_file_compiles(xsd: str, tmp_path, monkeypatch) -> None:
    # compile from an unrelated working directory: every schemaLocation must be relative to the file
    monkeypatch.chdir(tmp_path)
    etree.XMLSchema(etree.parse(str(SCHEMAS / xsd)))


def test_embedded_schema_has_expected_files() -> None:
    names = {p.name for p in SCHEMAS.glob("*.xsd")}
    assert {
        "PES_Aller.xsd",
        "common_types.xsd",
        "envelope.xsd",
        "depense.xsd",
        "recette.xsd",
        "pj.xsd",
        "signature.xsd",
    } <= names
    for name in names:
        text = (SCHEMAS / name).read_text(encoding="utf-8")
        assert "version 5.30" in text and "pes-v2 project" in text, (
            f"{name}: header comment missing"
        )
        assert "http://" not in "".join(re.findall(r'schemaLocation="([^"]*)"', text)), name


def test_corpus_verdicts_match_official(shared_reference: Path) -> None:
    official = official_schema(shared_reference)
    files = corpus_aller_files(shared_reference)
    assert len(files) >= 50, "reference corpus looks incomplete"
    mismatched = {}
    line_mismatch = {}
    for path in files:
        tree = etree.parse(str(path))
        off, emb = verdict(official, tree), verdict(embedded_schema(), tree)
        if off.valid != emb.valid:
            mismatched[path.name] = (off, emb)
        elif off.line != emb.line:
            line_mismatch[path.name] = (off, emb)
    assert set(mismatched) == set(KNOWN_CORPUS_DIFFS), mismatched
    assert not line_mismatch, line_mismatch


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_mutation_verdict_matches_official(case: Case, shared_reference: Path) -> None:
    off, emb = observed_case_diff(case, official_schema(shared_reference))
    if case.base and case.mutate is None:
        assert off.valid and emb.valid, (off, emb)
    if case.diff is None:
        assert off.valid == emb.valid, f"official={off} embedded={emb}"
        assert off.line == emb.line, f"official={off} embedded={emb}"
    else:
        assert not off.valid and emb.valid, (
            f"case {case.id} is meant to show {case.diff}: official={off} embedded={emb}"
        )


def test_mutation_set_covers_each_domain_and_kind() -> None:
    ids = [c.id for c in CASES]
    for domain in ("dep", "rec", "pj"):
        for kind in ("type", "missing", "extra", "order", "enum"):
            assert any(i.startswith(f"{domain}-{kind}-") for i in ids), (domain, kind)


def test_documented_differences_equal_observed(shared_reference: Path) -> None:
    official = official_schema(shared_reference)
    observed: set[str] = set()
    for path in corpus_aller_files(shared_reference):
        tree = etree.parse(str(path))
        if verdict(official, tree).valid != verdict(embedded_schema(), tree).valid:
            assert path.name in KNOWN_CORPUS_DIFFS, f"undocumented difference on {path.name}"
            observed.add(KNOWN_CORPUS_DIFFS[path.name])
    for case in CASES:
        off, emb = observed_case_diff(case, official)
        if off.valid != emb.valid:
            assert case.diff, f"undocumented difference on mutation {case.id}: {off} / {emb}"
            observed.add(case.diff)
    assert documented_diff_ids() == observed


# --------------------------------------------------------------------------- generated flows

GENERATED_SPECS = [
    dict(seed=s, depense=d, recette=r, pieces=p, lines=ln, pj=pj, encoding=enc)
    for s, (d, r, p, ln, pj, enc) in enumerate(
        [
            (1, 0, 1, 1, 0, "ISO-8859-1"),
            (1, 0, 3, 2, 0, "UTF-8"),
            (2, 0, 2, 3, 1, "ISO-8859-1"),
            (0, 1, 1, 1, 0, "ISO-8859-1"),
            (0, 1, 3, 2, 0, "UTF-8"),
            (0, 2, 2, 2, 2, "ISO-8859-1"),
            (1, 1, 2, 2, 1, "ISO-8859-1"),
            (1, 1, 1, 4, 0, "UTF-8"),
            (0, 0, 1, 1, 1, "ISO-8859-1"),
            (0, 0, 1, 1, 3, "UTF-8"),
            (3, 0, 1, 1, 0, "ISO-8859-1"),
            (0, 3, 1, 1, 0, "ISO-8859-1"),
            (2, 2, 3, 3, 2, "ISO-8859-1"),
            (1, 0, 5, 1, 0, "ISO-8859-1"),
            (0, 1, 5, 1, 0, "UTF-8"),
            (1, 2, 1, 2, 1, "UTF-8"),
            (2, 1, 2, 1, 0, "ISO-8859-1"),
            (1, 0, 1, 6, 2, "ISO-8859-1"),
            (0, 1, 1, 6, 2, "ISO-8859-1"),
            (1, 1, 3, 3, 3, "UTF-8"),
            (4, 0, 2, 2, 0, "ISO-8859-1"),
            (0, 4, 2, 2, 0, "ISO-8859-1"),
            (1, 0, 2, 2, 4, "ISO-8859-1"),
            (0, 1, 2, 2, 4, "UTF-8"),
            (2, 0, 1, 1, 1, "UTF-8"),
            (0, 2, 1, 1, 1, "UTF-8"),
            (1, 1, 1, 1, 1, "ISO-8859-1"),
            (3, 3, 1, 2, 0, "ISO-8859-1"),
            (1, 0, 4, 4, 0, "UTF-8"),
            (0, 1, 4, 4, 1, "ISO-8859-1"),
        ],
        start=100,
    )
]


def _testing_api():
    from pes_v2.testing import MUTATIONS, FlowSpec, build_flow, mutate

    return FlowSpec, build_flow, MUTATIONS, mutate


def _spec_id(s: dict) -> str:
    return f"seed{s['seed']}-d{s['depense']}-r{s['recette']}-pj{s['pj']}"


@pytest.mark.parametrize("spec", GENERATED_SPECS, ids=_spec_id)
def test_generated_flow_verdict_matches_official(spec: dict, shared_reference: Path) -> None:
    FlowSpec, build_flow, _, _ = _testing_api()
    tree = etree.fromstring(build_flow(FlowSpec(**spec))).getroottree()
    off, emb = verdict(official_schema(shared_reference), tree), verdict(embedded_schema(), tree)
    assert off == emb, f"official={off} embedded={emb}"


def test_generated_mutations_verdict_matches_official(shared_reference: Path) -> None:
    """Every mutation of the generator's catalogue, applied to a flow with all three domains."""
    FlowSpec, build_flow, mutations, mutate = _testing_api()
    official = official_schema(shared_reference)
    base = build_flow(FlowSpec(seed=7, depense=2, recette=2, pieces=2, lines=2, pj=2))
    checked, mismatches = 0, []
    for name in sorted(mutations):
        try:
            result = mutate(base, name, seed=1)
        except ValueError:
            continue  # no suitable target in this flow
        tree = etree.fromstring(result.data).getroottree()
        off, emb = verdict(official, tree), verdict(embedded_schema(), tree)
        checked += 1
        if off.valid != emb.valid or off.line != emb.line:
            mismatches.append((name, off, emb))
    assert checked >= 10
    assert not mismatches, mismatches
