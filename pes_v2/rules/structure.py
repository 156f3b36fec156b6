"""Rules checked while reading the file and validating it against the XSD.

These are reported by the engine itself (reader and schema validation), so they are
declared here without a check function.
"""

from __future__ import annotations

from ..findings import Scope, Severity
from .registry import declare

E, W, INFO = Severity.ERROR, Severity.WARNING, Severity.INFO
SCHEMA = "ERREUR_SCHEMA_INCOMPLET"

NOT_WELL_FORMED = declare(
    "PES-XML-001",
    title=("Fichier XML mal formé", "XML file not well-formed"),
    message=(
        "Le fichier n'est pas du XML bien formé : {reason}",
        "The file is not well-formed XML: {reason}",
    ),
    severity=E,
    scope=Scope.FLUX,
    ack=SCHEMA,
    rejects="flux",
    source="XML 1.0",
)
EMPTY_FILE = declare(
    "PES-XML-002",
    title=("Fichier vide", "Empty file"),
    message=("Le fichier est vide.", "The file is empty."),
    severity=E,
    scope=Scope.FLUX,
    ack="ERREUR_FLUX_VIDE",
    rejects="flux",
    source="pes-rules §1.6",
)
NOT_PES_ROOT = declare(
    "PES-XML-003",
    title=("Racine non PES", "Not a PES root element"),
    message=(
        "L'élément racine {value!r} n'est pas une racine PES V2 "
        "(PES_Aller, PES_ACQUIT, PES_Retour, PES_ACQUIT_RETOUR).",
        "The root element {value!r} is not a PES V2 root "
        "(PES_Aller, PES_ACQUIT, PES_Retour, PES_ACQUIT_RETOUR).",
    ),
    severity=E,
    scope=Scope.FLUX,
    ack=SCHEMA,
    rejects="flux",
    source="XSD PES_Aller.xsd",
)
DOCTYPE = declare(
    "PES-XML-004",
    title=("DOCTYPE ou entité refusés", "DOCTYPE or entity refused"),
    message=(
        "Le fichier contient une déclaration DOCTYPE ou d'entité ; un flux PES n'en porte "
        "jamais et pes-v2 refuse de la lire (protection contre les attaques XML).",
        "The file contains a DOCTYPE or entity declaration; a PES flow never has one and "
        "pes-v2 refuses to read it (protection against XML attacks).",
    ),
    severity=E,
    scope=Scope.FLUX,
    ack=SCHEMA,
    rejects="flux",
    source="security",
)
TOO_DEEP = declare(
    "PES-XML-005",
    title=("Imbrication trop profonde", "Nesting too deep"),
    message=(
        "L'imbrication des éléments dépasse la profondeur maximale ({limit}).",
        "Elements are nested deeper than the maximum depth ({limit}).",
    ),
    severity=E,
    scope=Scope.FLUX,
    ack=SCHEMA,
    rejects="flux",
    source="security",
)
TOO_LARGE = declare(
    "PES-XML-006",
    title=("Fichier de plus de 100 Mo", "File larger than 100 MB"),
    message=(
        "Le fichier fait {size} octets ; Hélios n'accepte pas plus de 100 Mo par fichier transmis.",
        "The file is {size} bytes; Hélios accepts at most 100 MB per transmitted file.",
    ),
    severity=W,
    scope=Scope.FLUX,
    ack=None,
    rejects="flux",
    source="arrêté du 27 juin 2007, annexe 1, exigence 2-3",
)
LIMIT_EXCEEDED = declare(
    "PES-XML-007",
    title=("Limite de lecture dépassée", "Reading limit exceeded"),
    message=(
        "Le fichier dépasse une limite de lecture de pes-v2 : {reason}",
        "The file exceeds a pes-v2 reading limit: {reason}",
    ),
    severity=E,
    scope=Scope.FLUX,
    ack=SCHEMA,
    rejects="flux",
    source="security",
)
ENCODING_REFUSED = declare(
    "PES-ENC-001",
    title=("Encodage non accepté", "Encoding not accepted"),
    message=(
        "L'encodage {value} n'est pas accepté : un flux PES est en ISO-8859-1 (ou UTF-8).",
        "Encoding {value} is not accepted: a PES flow is ISO-8859-1 (or UTF-8).",
    ),
    severity=E,
    scope=Scope.FLUX,
    ack="ERREUR_ENCODING",
    rejects="flux",
    source="pes-rules §1.3",
)
ENCODING_MISMATCH = declare(
    "PES-ENC-002",
    title=(
        "Octets incohérents avec l'encodage déclaré",
        "Bytes do not match the declared encoding",
    ),
    message=(
        "Les octets du fichier ne correspondent pas à l'encodage déclaré ({encoding}) : {reason}",
        "The file's bytes do not match the declared encoding ({encoding}): {reason}",
    ),
    severity=E,
    scope=Scope.FLUX,
    ack="ERREUR_ENCODING",
    rejects="flux",
    source="XML 1.0 §4.3.3",
)
UTF8_DECLARED = declare(
    "PES-ENC-003",
    title=("Flux en UTF-8", "Flow in UTF-8"),
    message=(
        "Le flux est encodé en UTF-8 ; l'usage est ISO-8859-1 et certains tiers de "
        "télétransmission (S²LOW) refusent tout autre encodage.",
        "The flow is encoded in UTF-8; the practice is ISO-8859-1 and some transmission "
        "platforms (S²LOW) refuse any other encoding.",
    ),
    severity=W,
    scope=Scope.FLUX,
    ack="ERREUR_ENCODING",
    rejects="flux",
    source="pes-rules §1.3",
)
NOT_CHECKED_BY_EMBEDDED = declare(
    "PES-SCH-001",
    title=(
        "Contenu non vérifié par le schéma embarqué",
        "Content not checked by the embedded schema",
    ),
    message=(
        "Le contenu de {element} n'est pas vérifié par le schéma embarqué ; installez le "
        "paquet XSD officiel de la DGFiP (pes-v2 schemas install).",
        "The content of {element} is not checked by the embedded schema; install the official "
        "DGFiP XSD bundle (pes-v2 schemas install).",
    ),
    severity=INFO,
    scope=Scope.FLUX,
    ack=None,
    rejects="none",
    source="pes-v2",
)
FINDINGS_NOT_LISTED = declare(
    "PES-LIM-001",
    title=("Constats non listés", "Findings not listed"),
    message=(
        "{rule} : {count} autre(s) constat(s) de cette règle non listé(s), au-delà de {limit} "
        "(--limit max_findings_per_rule) ; ils comptent dans la prédiction.",
        "{rule}: {count} more finding(s) of this rule not listed, beyond {limit} "
        "(--limit max_findings_per_rule); they count in the prediction.",
    ),
    severity=INFO,
    scope=Scope.FLUX,
    ack=None,
    rejects="none",
    source="pes-v2 (reporting limit)",
)
NO_SCHEMA_FOR_ROOT = declare(
    "PES-SCH-002",
    title=("Pas de schéma pour cette racine", "No schema for this root"),
    message=(
        "Le jeu de schémas utilisé ne couvre pas la racine {value} : la structure n'a pas été "
        "vérifiée.",
        "The schema set in use does not cover the root {value}: the structure was not checked.",
    ),
    severity=W,
    scope=Scope.FLUX,
    ack=None,
    rejects="none",
    source="pes-v2",
)

XSD_VALUE = declare(
    "PES-XSD-001",
    title=("Valeur non conforme au type", "Value does not match its type"),
    message=(
        "{element} : la valeur {value!r} n'est pas conforme ({reason}).",
        "{element}: the value {value!r} does not conform ({reason}).",
    ),
    severity=E,
    scope=Scope.FLUX,
    ack=SCHEMA,
    rejects="flux",
    source="XSD",
)
XSD_MISSING_CHILD = declare(
    "PES-XSD-002",
    title=("Élément obligatoire manquant", "Required element missing"),
    message=(
        "{element} : élément obligatoire manquant ; attendu : {expected}.",
        "{element}: a required element is missing; expected: {expected}.",
    ),
    severity=E,
    scope=Scope.FLUX,
    ack=SCHEMA,
    rejects="flux",
    source="XSD",
)
XSD_UNEXPECTED = declare(
    "PES-XSD-003",
    title=("Élément inattendu", "Unexpected element"),
    message=(
        "{element} n'est pas attendu à cet endroit ; attendu : {expected}.",
        "{element} is not expected here; expected: {expected}.",
    ),
    severity=E,
    scope=Scope.FLUX,
    ack=SCHEMA,
    rejects="flux",
    source="XSD",
)
XSD_MISSING_ATTRIBUTE = declare(
    "PES-XSD-004",
    title=("Attribut obligatoire manquant", "Required attribute missing"),
    message=(
        "{element} : l'attribut obligatoire {attribute} est absent.",
        "{element}: the required attribute {attribute} is missing.",
    ),
    severity=E,
    scope=Scope.FLUX,
    ack=SCHEMA,
    rejects="flux",
    source="XSD",
)
XSD_DUPLICATE_ID = declare(
    "PES-XSD-005",
    title=("Identifiant Id en double", "Duplicate Id"),
    message=(
        "{element} : l'identifiant {value!r} est déjà utilisé dans le document (xs:ID).",
        "{element}: the identifier {value!r} is already used in the document (xs:ID).",
    ),
    severity=E,
    scope=Scope.FLUX,
    ack=SCHEMA,
    rejects="flux",
    source="XSD xs:ID",
)
XSD_NO_DECLARATION = declare(
    "PES-XSD-006",
    title=("Élément racine inconnu du schéma", "Root element unknown to the schema"),
    message=(
        "{element} : aucune déclaration globale ne correspond à cet élément racine.",
        "{element}: no global declaration matches this root element.",
    ),
    severity=E,
    scope=Scope.FLUX,
    ack=SCHEMA,
    rejects="flux",
    source="XSD",
)
XSD_ENUMERATION = declare(
    "PES-XSD-007",
    title=("Valeur hors liste de codes", "Value outside the code list"),
    message=(
        "{element} : la valeur {value!r} ne fait pas partie de la liste autorisée ({expected}).",
        "{element}: the value {value!r} is not in the allowed list ({expected}).",
    ),
    severity=E,
    scope=Scope.FLUX,
    ack="ERREUR_CODIFICATION",
    rejects="flux",
    source="XSD",
)
XSD_UNEXPECTED_ATTRIBUTE = declare(
    "PES-XSD-008",
    title=("Attribut inattendu", "Unexpected attribute"),
    message=(
        "{element} : l'attribut {attribute} n'est pas permis.",
        "{element}: the attribute {attribute} is not allowed.",
    ),
    severity=E,
    scope=Scope.FLUX,
    ack=SCHEMA,
    rejects="flux",
    source="XSD",
)
XSD_OTHER = declare(
    "PES-XSD-099",
    title=("Non-conformité au schéma", "Schema violation"),
    message=("{element} : {reason}", "{element}: {reason}"),
    severity=E,
    scope=Scope.FLUX,
    ack=SCHEMA,
    rejects="flux",
    source="XSD",
)
