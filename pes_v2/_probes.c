/* Compiled evaluation of the rules' XPath probes on lxml elements.
 *
 * pes_v2/probes.py translates a small subset of XPath 1.0 (child steps by name with the
 * [1] position and boolean predicates, a final @attribute step, boolean(), count(), not(),
 * and, or, = and != against a string literal) into nested tuples, the "plan", and
 * evaluates it here on the libxml2 tree behind an lxml element: one pass over the nodes
 * the path reaches, no node-set, no sort. Every result is the one libxml2's XPath gives
 * for the same expression; the tests compare both on generated trees.
 *
 * Plans (see probes.py for how they are built):
 *   path      = tuple of steps
 *   step      = (name: bytes, attribute: bool, predicates: tuple, descendant: bool)
 *   predicate = (FIRST,) | (EXISTS, path) | (EQUALS, path, literal: bytes, negated: bool)
 *             | (SAME, predicate, predicate, negated: bool) | (AND, p, q) | (OR, p, q)
 *             | (NOT, p)
 * A descendant step (after //) has no predicate and is only found where reaching a node
 * twice cannot change the result (a path's existence, a comparison with a literal).
 * A path compared to a literal ends with an attribute step. groups() takes (head, tails):
 * a path to elements and a tuple of paths to attributes.
 *
 * The functions return NULL with ValueError set when a node's value is not a plain text
 * (an entity reference inside an attribute): the caller then asks libxml2's XPath.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <limits.h>
#include <string.h>
#include <libxml/tree.h>

#include "_identifiers.h"

/* lxml's element proxy: its public C API's LxmlElement (lxml/etree.h), whose layout the
 * module checks when it is imported. */
typedef struct {
    PyObject_HEAD
    void *doc;
    xmlNode *c_node;
    PyObject *tag;
} LxmlElement;

enum { FIRST = 0, EXISTS = 1, EQUALS = 2, SAME = 3, AND = 4, OR = 5, NOT = 6 };
#define MAX_PREDICATES 8

static PyTypeObject *element_type = NULL;

/* What a walk does with each node a path reaches; returns 1 to stop the walk, 0 to go on,
 * -1 on error. */
typedef int (*visit_fn)(xmlNode *node, void *state);

static int test(xmlNode *node, PyObject *predicate);

static int
name_is(const xmlChar *name, PyObject *wanted)
{
    return name != NULL && strcmp((const char *)name, PyBytes_AS_STRING(wanted)) == 0;
}

/* Walk `path` from `context`, from step `index` on, calling `visit` on each node reached, in
 * document order. */
static int
walk(xmlNode *context, PyObject *path, Py_ssize_t index, visit_fn visit, void *state)
{
    PyObject *step = PyTuple_GET_ITEM(path, index);
    PyObject *name = PyTuple_GET_ITEM(step, 0);
    int last = index + 1 == PyTuple_GET_SIZE(path);

    if (PyTuple_GET_ITEM(step, 1) == Py_True) { /* @name: the last step */
        for (xmlAttr *attribute = context->properties; attribute; attribute = attribute->next) {
            if (attribute->ns == NULL && name_is(attribute->name, name)) {
                return visit((xmlNode *)attribute, state);
            }
        }
        return 0;
    }
    if (PyTuple_GET_ITEM(step, 3) == Py_True) { /* //name: any descendant, no predicate */
        xmlNode *node = context->children;
        while (node != NULL) {
            if (node->type == XML_ELEMENT_NODE) {
                if (node->ns == NULL && name_is(node->name, name)) {
                    int outcome =
                        last ? visit(node, state) : walk(node, path, index + 1, visit, state);
                    if (outcome != 0) {
                        return outcome;
                    }
                }
                if (node->children != NULL) {
                    node = node->children;
                    continue;
                }
            }
            while (node != NULL && node->next == NULL) {
                node = node->parent == context ? NULL : node->parent;
            }
            if (node != NULL) {
                node = node->next;
            }
        }
        return 0;
    }
    PyObject *predicates = PyTuple_GET_ITEM(step, 2);
    Py_ssize_t count = PyTuple_GET_SIZE(predicates);
    char taken[MAX_PREDICATES] = {0}; /* a [1] that has let its node through */
    if (count > MAX_PREDICATES) { /* probes.py never plans more: answered by libxml2 then */
        PyErr_SetString(PyExc_ValueError, "too many predicates on one step");
        return -1;
    }
    for (xmlNode *child = context->children; child; child = child->next) {
        if (child->type != XML_ELEMENT_NODE || child->ns != NULL || !name_is(child->name, name)) {
            continue;
        }
        int kept = 1;
        for (Py_ssize_t i = 0; i < count && kept; i++) {
            PyObject *predicate = PyTuple_GET_ITEM(predicates, i);
            if (PyLong_AsLong(PyTuple_GET_ITEM(predicate, 0)) == FIRST) {
                kept = !taken[i];
                taken[i] = 1;
            } else {
                kept = test(child, predicate);
                if (kept < 0) {
                    return -1;
                }
            }
        }
        if (!kept) {
            continue;
        }
        int outcome = last ? visit(child, state) : walk(child, path, index + 1, visit, state);
        if (outcome != 0) {
            return outcome;
        }
    }
    return 0;
}

/* The attribute's value when it is one text node, as libxml2 builds every value a flow
 * holds ("" without children); NULL otherwise (several parts, or an entity reference). */
static const char *
single_text(xmlNode *attribute)
{
    xmlNode *text = attribute->children;
    if (text == NULL) {
        return "";
    }
    if (text->next == NULL && text->type == XML_TEXT_NODE) {
        return text->content ? (const char *)text->content : "";
    }
    return NULL;
}

/* The attribute's value when it is plain text (NULL with ValueError set otherwise), parts
 * joined into *joined when there are several. */
static const char *
attribute_text(xmlNode *attribute, PyObject **joined)
{
    const char *single = single_text(attribute);
    *joined = NULL;
    if (single != NULL) {
        return single;
    }
    xmlNode *text = attribute->children;
    for (xmlNode *part = text; part; part = part->next) {
        if (part->type != XML_TEXT_NODE) {
            PyErr_SetString(PyExc_ValueError, "attribute value is not plain text");
            return NULL;
        }
    }
    PyObject *buffer = PyBytes_FromStringAndSize(NULL, 0);
    for (xmlNode *part = text; part && buffer; part = part->next) {
        if (part->content) {
            PyBytes_ConcatAndDel(&buffer, PyBytes_FromString((const char *)part->content));
        }
    }
    if (buffer == NULL) {
        return NULL;
    }
    *joined = buffer;
    return PyBytes_AS_STRING(buffer);
}

static int
stop(xmlNode *node, void *state)
{
    (void)node;
    (void)state;
    return 1;
}

typedef struct {
    PyObject *literal;
    int negated;
} Comparison;

static int
compare(xmlNode *attribute, void *state)
{
    Comparison *comparison = state;
    PyObject *joined;
    const char *value = attribute_text(attribute, &joined);
    if (value == NULL) {
        return -1;
    }
    int equal = strcmp(value, PyBytes_AS_STRING(comparison->literal)) == 0;
    Py_XDECREF(joined);
    return equal != comparison->negated; /* 1 (stop, found) when this value satisfies it */
}

/* Whether `node` satisfies `predicate` (1, 0, or -1 on error). */
static int
test(xmlNode *node, PyObject *predicate)
{
    int a, b;
    switch (PyLong_AsLong(PyTuple_GET_ITEM(predicate, 0))) {
    case EXISTS:
        return walk(node, PyTuple_GET_ITEM(predicate, 1), 0, stop, NULL);
    case EQUALS: {
        Comparison comparison = {PyTuple_GET_ITEM(predicate, 2),
                                 PyTuple_GET_ITEM(predicate, 3) == Py_True};
        return walk(node, PyTuple_GET_ITEM(predicate, 1), 0, compare, &comparison);
    }
    case SAME:
        a = test(node, PyTuple_GET_ITEM(predicate, 1));
        if (a < 0) {
            return -1;
        }
        b = test(node, PyTuple_GET_ITEM(predicate, 2));
        if (b < 0) {
            return -1;
        }
        return (a == b) != (PyTuple_GET_ITEM(predicate, 3) == Py_True);
    case AND:
        a = test(node, PyTuple_GET_ITEM(predicate, 1));
        return a <= 0 ? a : test(node, PyTuple_GET_ITEM(predicate, 2));
    case OR:
        a = test(node, PyTuple_GET_ITEM(predicate, 1));
        return a != 0 ? a : test(node, PyTuple_GET_ITEM(predicate, 2));
    case NOT:
        a = test(node, PyTuple_GET_ITEM(predicate, 1));
        return a < 0 ? a : !a;
    default:
        PyErr_SetString(PyExc_SystemError, "unknown predicate in a probe plan");
        return -1;
    }
}

static int
append_value(xmlNode *attribute, void *state)
{
    PyObject *joined;
    const char *text = attribute_text(attribute, &joined);
    if (text == NULL) {
        return -1;
    }
    PyObject *value = PyUnicode_DecodeUTF8(text, (Py_ssize_t)strlen(text), "strict");
    Py_XDECREF(joined);
    if (value == NULL) {
        return -1;
    }
    int failed = PyList_Append((PyObject *)state, value);
    Py_DECREF(value);
    return failed ? -1 : 0;
}

static int
add_one(xmlNode *node, void *state)
{
    (void)node;
    *(Py_ssize_t *)state += 1;
    return 0;
}

typedef struct {
    PyObject *tails;
    PyObject *found;
} Grouping;

/* One tuple per node the head path reaches: the values of each tail path below it. */
static int
append_group(xmlNode *node, void *state)
{
    Grouping *grouping = state;
    Py_ssize_t count = PyTuple_GET_SIZE(grouping->tails);
    PyObject *group = PyTuple_New(count);
    if (group == NULL) {
        return -1;
    }
    for (Py_ssize_t i = 0; i < count; i++) {
        PyObject *found = PyList_New(0);
        if (found == NULL) {
            Py_DECREF(group);
            return -1;
        }
        PyTuple_SET_ITEM(group, i, found);
        if (walk(node, PyTuple_GET_ITEM(grouping->tails, i), 0, append_value, found) < 0) {
            Py_DECREF(group);
            return -1;
        }
    }
    int failed = PyList_Append(grouping->found, group);
    Py_DECREF(group);
    return failed ? -1 : 0;
}

static xmlNode *
node_of(PyObject *element)
{
    if (element_type == NULL || !PyObject_TypeCheck(element, element_type)) {
        PyErr_SetString(PyExc_TypeError, "an lxml element is required");
        return NULL;
    }
    xmlNode *node = ((LxmlElement *)element)->c_node;
    if (node == NULL || node->type != XML_ELEMENT_NODE) {
        /* A comment or a processing instruction: lxml's XPath says what it says of them. */
        PyErr_SetString(PyExc_TypeError, "an element node is required");
        return NULL;
    }
    return node;
}

/* The node of the first of two arguments, the second being a plan (a tuple); NULL with
 * TypeError set otherwise, `usage` naming the function's arguments. */
static xmlNode *
context_of(PyObject *const *args, Py_ssize_t nargs, const char *usage)
{
    if (nargs != 2 || !PyTuple_Check(args[1])) {
        PyErr_SetString(PyExc_TypeError, usage);
        return NULL;
    }
    return node_of(args[0]);
}

/* values(element, path) -> list of the attribute values the path reaches, in order. */
static PyObject *
values(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    (void)module;
    xmlNode *node = context_of(args, nargs, "values(element, path)");
    if (node == NULL) {
        return NULL;
    }
    PyObject *found = PyList_New(0);
    if (found != NULL && walk(node, args[1], 0, append_value, found) < 0) {
        Py_CLEAR(found);
    }
    return found;
}

/* count(element, path) -> the number of nodes the path reaches, as a float (as XPath). */
static PyObject *
count(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    (void)module;
    xmlNode *node = context_of(args, nargs, "count(element, path)");
    if (node == NULL) {
        return NULL;
    }
    Py_ssize_t counted = 0;
    if (walk(node, args[1], 0, add_one, &counted) < 0) {
        return NULL;
    }
    return PyFloat_FromDouble((double)counted);
}

/* holds(element, predicate) -> whether the element satisfies the predicate. */
static PyObject *
holds(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    (void)module;
    xmlNode *node = context_of(args, nargs, "holds(element, predicate)");
    if (node == NULL) {
        return NULL;
    }
    int outcome = test(node, args[1]);
    if (outcome < 0) {
        return NULL;
    }
    return PyBool_FromLong(outcome);
}

/* groups(element, (head, tails)) -> for each node the head path reaches, a tuple holding
 * the values of each tail path below that node. */
static PyObject *
groups(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    (void)module;
    static const char usage[] = "groups(element, (head, tails))";
    xmlNode *node = context_of(args, nargs, usage);
    if (node == NULL) {
        return NULL;
    }
    if (PyTuple_GET_SIZE(args[1]) != 2 || !PyTuple_Check(PyTuple_GET_ITEM(args[1], 1))) {
        PyErr_SetString(PyExc_TypeError, usage);
        return NULL;
    }
    Grouping grouping = {PyTuple_GET_ITEM(args[1], 1), PyList_New(0)};
    if (grouping.found != NULL
        && walk(node, PyTuple_GET_ITEM(args[1], 0), 0, append_group, &grouping) < 0) {
        Py_CLEAR(grouping.found);
    }
    return grouping.found;
}

typedef struct {
    int kind;
    Py_ssize_t checked;
} Checking;

/* Checks one value the path reaches; stops the walk (1) at the first that fails or is not
 * one text node (a value split by an entity reference: the Python path reads those). */
static int
check_value(xmlNode *attribute, void *state)
{
    Checking *checking = state;
    const char *text = single_text(attribute);
    if (text == NULL || !value_ok(checking->kind, text, strlen(text))) {
        return 1;
    }
    checking->checked += 1;
    return 0;
}

/* The first value a tail reaches below a node: "" when none, NULL when it is not one text
 * node. */
static int
first_value(xmlNode *attribute, void *state)
{
    *(const char **)state = single_text(attribute);
    return 1;
}

#define MAX_TAILS 8

typedef struct {
    int kind;
    PyObject *tails;
    Py_ssize_t checked;
} GroupChecking;

static int
check_group(xmlNode *node, void *state)
{
    GroupChecking *checking = state;
    Py_ssize_t count = PyTuple_GET_SIZE(checking->tails);
    const char *texts[MAX_TAILS];
    size_t lengths[MAX_TAILS];
    if (count > MAX_TAILS) {
        return 1;
    }
    for (Py_ssize_t i = 0; i < count; i++) {
        const char *first = "";
        if (walk(node, PyTuple_GET_ITEM(checking->tails, i), 0, first_value, &first) < 0) {
            return -1;
        }
        if (first == NULL) {
            return 1;
        }
        texts[i] = first;
        lengths[i] = strlen(first);
    }
    if (!values_ok(checking->kind, texts, lengths, (size_t)count)) {
        return 1;
    }
    checking->checked += 1;
    return 0;
}

static int
kind_of(PyObject *object)
{
    long kind = PyLong_Check(object) ? PyLong_AsLong(object) : -1;
    if (kind < 0 || kind >= CHECK_KINDS) {
        PyErr_SetString(PyExc_ValueError, "unknown check kind");
        return -1;
    }
    return (int)kind;
}

/* valid(element, path, kind) -> how many values the path reaches when each one passes the
 * check of `kind`, else None (one fails, or is not plain ASCII text). */
static PyObject *
valid(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    (void)module;
    static const char usage[] = "valid(element, path, kind)";
    if (nargs != 3) {
        PyErr_SetString(PyExc_TypeError, usage);
        return NULL;
    }
    xmlNode *node = context_of(args, 2, usage);
    if (node == NULL) {
        return NULL;
    }
    Checking checking = {kind_of(args[2]), 0};
    if (checking.kind < 0 || checking.kind == CHECK_RIB) {
        return checking.kind < 0 ? NULL : Py_NewRef(Py_None);
    }
    int outcome = walk(node, args[1], 0, check_value, &checking);
    if (outcome < 0) {
        return NULL;
    }
    return outcome ? Py_NewRef(Py_None) : PyLong_FromSsize_t(checking.checked);
}

/* valid_groups(element, (head, tails), kind) -> how many nodes the head reaches when, for
 * each, the first value of every tail ("" when none) passes the check of `kind` together,
 * else None. */
static PyObject *
valid_groups(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    (void)module;
    static const char usage[] = "valid_groups(element, (head, tails), kind)";
    if (nargs != 3) {
        PyErr_SetString(PyExc_TypeError, usage);
        return NULL;
    }
    xmlNode *node = context_of(args, 2, usage);
    if (node == NULL) {
        return NULL;
    }
    if (PyTuple_GET_SIZE(args[1]) != 2 || !PyTuple_Check(PyTuple_GET_ITEM(args[1], 1))) {
        PyErr_SetString(PyExc_TypeError, usage);
        return NULL;
    }
    GroupChecking checking = {kind_of(args[2]), PyTuple_GET_ITEM(args[1], 1), 0};
    if (checking.kind < 0) {
        return NULL;
    }
    int outcome = walk(node, PyTuple_GET_ITEM(args[1], 0), 0, check_group, &checking);
    if (outcome < 0) {
        return NULL;
    }
    return outcome ? Py_NewRef(Py_None) : PyLong_FromSsize_t(checking.checked);
}

typedef struct {
    long long total; /* times 10^DECIMAL_SCALE */
    int exponent;    /* most digits written after a point */
    Py_ssize_t count;
    Py_ssize_t positive;
} Summing;

static int
add_decimal(xmlNode *attribute, void *state)
{
    Summing *summing = state;
    const char *text = single_text(attribute);
    long long value;
    int written;
    if (text == NULL || !plain_decimal(text, &value, &written) || (value > 0 && summing->total > LLONG_MAX - value)
        || (value < 0 && summing->total < LLONG_MIN - value)) {
        return 1;
    }
    summing->total += value;
    summing->exponent = written > summing->exponent ? written : summing->exponent;
    summing->count += 1;
    summing->positive += value > 0;
    return 0;
}

/* sum_decimals(element, path) -> (count, total, digits, positive) when every value the path
 * reaches is a plain decimal (see plain_decimal): the sum is total / 10**digits exactly,
 * digits being the most written after a point (the exponent Decimal's sum has), and
 * positive how many values are above zero; else None. */
static PyObject *
sum_decimals(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    (void)module;
    xmlNode *node = context_of(args, nargs, "sum_decimals(element, path)");
    if (node == NULL) {
        return NULL;
    }
    Summing summing = {0, 0, 0, 0};
    int outcome = walk(node, args[1], 0, add_decimal, &summing);
    if (outcome < 0) {
        return NULL;
    }
    if (outcome) {
        Py_RETURN_NONE;
    }
    long long total = summing.total / POWERS_OF_TEN[DECIMAL_SCALE - summing.exponent];
    return Py_BuildValue("(nLin)", summing.count, total, summing.exponent, summing.positive);
}

/* check(kind, values) -> whether the values (a tuple of str: one, four for a RIB) pass the
 * check of `kind` as the compiled walks apply it. */
static PyObject *
check(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    (void)module;
    if (nargs != 2 || !PyTuple_Check(args[1]) || PyTuple_GET_SIZE(args[1]) > MAX_TAILS) {
        PyErr_SetString(PyExc_TypeError, "check(kind, values)");
        return NULL;
    }
    int kind = kind_of(args[0]);
    if (kind < 0) {
        return NULL;
    }
    Py_ssize_t count = PyTuple_GET_SIZE(args[1]);
    const char *texts[MAX_TAILS];
    size_t lengths[MAX_TAILS];
    for (Py_ssize_t i = 0; i < count; i++) {
        Py_ssize_t length;
        PyObject *item = PyTuple_GET_ITEM(args[1], i);
        texts[i] = PyUnicode_Check(item) ? PyUnicode_AsUTF8AndSize(item, &length) : NULL;
        if (texts[i] == NULL) {
            if (!PyErr_Occurred()) {
                PyErr_SetString(PyExc_TypeError, "check(kind, values): values are str");
            }
            return NULL;
        }
        if ((size_t)length != strlen(texts[i])) { /* a NUL inside: no XML value holds one */
            Py_RETURN_FALSE;
        }
        lengths[i] = (size_t)length;
    }
    return PyBool_FromLong(values_ok(kind, texts, lengths, (size_t)count));
}

/* set_iban_lengths(table) -> None: the full IBAN length of each country, a byte per pair
 * of upper-case letters (26 × 26, "AA" first; 0 when the country is not listed). */
static PyObject *
set_iban_lengths(PyObject *module, PyObject *table)
{
    (void)module;
    if (!PyBytes_Check(table) || PyBytes_GET_SIZE(table) != (Py_ssize_t)sizeof iban_lengths) {
        PyErr_SetString(PyExc_ValueError, "set_iban_lengths(table): 676 bytes");
        return NULL;
    }
    memcpy(iban_lengths, PyBytes_AS_STRING(table), sizeof iban_lengths);
    iban_lengths_set = 1;
    Py_RETURN_NONE;
}

static PyMethodDef methods[] = {
    {"values", (PyCFunction)(void (*)(void))values, METH_FASTCALL,
     "values(element, path): the attribute values the path reaches, in document order."},
    {"count", (PyCFunction)(void (*)(void))count, METH_FASTCALL,
     "count(element, path): how many nodes the path reaches (a float, as in XPath)."},
    {"holds", (PyCFunction)(void (*)(void))holds, METH_FASTCALL,
     "holds(element, predicate): whether the element satisfies the predicate."},
    {"groups", (PyCFunction)(void (*)(void))groups, METH_FASTCALL,
     "groups(element, (head, tails)): per node the head reaches, the values of each tail."},
    {"valid", (PyCFunction)(void (*)(void))valid, METH_FASTCALL,
     "valid(element, path, kind): how many values the path reaches when all pass the check, "
     "else None."},
    {"valid_groups", (PyCFunction)(void (*)(void))valid_groups, METH_FASTCALL,
     "valid_groups(element, (head, tails), kind): how many nodes the head reaches when the "
     "first values of the tails pass the check for each, else None."},
    {"sum_decimals", (PyCFunction)(void (*)(void))sum_decimals, METH_FASTCALL,
     "sum_decimals(element, path): (count, total, digits, positive) of plain decimals, else "
     "None."},
    {"check", (PyCFunction)(void (*)(void))check, METH_FASTCALL,
     "check(kind, values): whether the values pass the check of kind."},
    {"set_iban_lengths", set_iban_lengths, METH_O,
     "set_iban_lengths(table): the IBAN length of each country (676 bytes)."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef definition = {
    PyModuleDef_HEAD_INIT,
    .m_name = "pes_v2._probes",
    .m_doc = "Compiled evaluation of the rules' XPath probes (see pes_v2.probes).",
    .m_size = -1,
    .m_methods = methods,
};

PyMODINIT_FUNC
PyInit__probes(void)
{
    PyObject *etree = PyImport_ImportModule("lxml.etree");
    if (etree == NULL) {
        return NULL;
    }
    PyObject *type = PyObject_GetAttrString(etree, "_Element");
    PyObject *factory = PyObject_GetAttrString(etree, "Element");
    Py_DECREF(etree);
    if (type == NULL || factory == NULL) {
        Py_XDECREF(type);
        Py_XDECREF(factory);
        return NULL;
    }
    if (!PyType_Check(type)
        || ((PyTypeObject *)type)->tp_basicsize < (Py_ssize_t)sizeof(LxmlElement)) {
        Py_DECREF(type);
        Py_DECREF(factory);
        PyErr_SetString(PyExc_ImportError, "lxml's element layout is not the expected one");
        return NULL;
    }
    /* Check the layout on a new element: lxml keeps a pointer to the proxy in its node. */
    PyObject *sample = PyObject_CallFunction(factory, "s", "probe");
    Py_DECREF(factory);
    int expected = sample != NULL && PyObject_TypeCheck(sample, (PyTypeObject *)type)
                   && ((LxmlElement *)sample)->c_node != NULL
                   && ((LxmlElement *)sample)->c_node->_private == (void *)sample
                   && ((LxmlElement *)sample)->c_node->type == XML_ELEMENT_NODE;
    Py_XDECREF(sample);
    if (!expected) {
        Py_DECREF(type);
        PyErr_Clear();
        PyErr_SetString(PyExc_ImportError, "lxml's element layout is not the expected one");
        return NULL;
    }
    element_type = (PyTypeObject *)type; /* kept for the life of the process */
    return PyModule_Create(&definition);
}
