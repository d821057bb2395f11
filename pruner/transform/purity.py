"""The purity model: an allow-list of code the analyzer knows to be pure.

A Processor is prunable only when every call it can reach is either plugin code the
analyzer follows (and finds pure) or listed here. Anything else is *unknown code* and is
assumed to do the worst (PR207), with a diagnostic naming the call and the way out
(``@pure`` on the Processor, or ``@reads``/``@writes`` when keys are the problem).

The lists say what a call does, never what it must not do:

- ``PURE_FUNCTIONS``: functions of the standard library whose result depends only on their
  arguments and that change nothing (``math.floor``, ``re.sub``, ``json.loads``, ...);
- ``FRESH_CONSTRUCTORS``: calls that build a new object owned by the caller (a Counter,
  a hashlib object, a compiled pattern): methods on it may change it, nothing else;
- ``MUTATES_FIRST_ARGUMENT``: pure except that they change their first argument in place
  (``heapq.heappush``, ``bisect.insort``): fine on a fresh local list, state otherwise;
- ``PURE_BUILTINS`` and the builtins that mutate an argument (``next``, ``setattr``);
- ``PURE_METHODS``: methods of str/bytes/int/float/Decimal/list/dict/set/tuple/datetime/
  re.Match/re.Pattern values that only read their receiver;
- ``MUTATING_METHODS``: methods of those types that change their receiver: fine on a
  fresh local container, a mutation of shared state otherwise.

Effects that are not allowed are named (``EFFECT_KINDS``) only so the diagnostic can say
what was seen (a clock, randomness, I/O, the environment); the decision never depends on
that list: a call that is not allowed is unknown code either way.
"""
from __future__ import annotations

from typing import Final

_MATH: Final = {
    "math": ("acos acosh asin asinh atan atan2 atanh cbrt ceil comb copysign cos cosh degrees dist "
             "erf erfc exp exp2 expm1 fabs factorial floor fmod frexp fsum gamma gcd hypot isclose "
             "isfinite isinf isnan isqrt lcm ldexp lgamma log log10 log1p log2 modf nextafter perm "
             "pow prod radians remainder sin sinh sqrt tan tanh trunc ulp"),
    "cmath": "phase polar rect sqrt exp log isclose",
    "statistics": "mean fmean geometric_mean harmonic_mean median median_low median_high mode "
                  "multimode pstdev pvariance stdev variance quantiles",
    "operator": ("abs add and_ concat contains countOf eq floordiv ge getitem gt index indexOf inv "
                 "invert is_ is_not itemgetter attrgetter le lshift lt mod mul ne neg "
                 "not_ or_ pos pow rshift sub truediv truth xor"),
    "re": "compile escape findall finditer fullmatch match search split sub subn",
    "json": "dumps loads",
    "unicodedata": ("category bidirectional combining decimal decomposition digit east_asian_width "
                    "is_normalized lookup mirrored name normalize numeric"),
    "string": "capwords",
    "textwrap": "dedent fill indent shorten wrap",
    "html": "escape unescape",
    "urllib.parse": ("quote quote_plus unquote unquote_plus urlencode urljoin urlparse urlsplit "
                     "urlunparse urlunsplit parse_qs parse_qsl"),
    "base64": ("b16decode b16encode b32decode b32encode b64decode b64encode standard_b64decode "
               "standard_b64encode urlsafe_b64decode urlsafe_b64encode"),
    "binascii": "crc32 hexlify unhexlify",
    "zlib": "adler32 crc32",
    "hashlib": "new md5 sha1 sha224 sha256 sha384 sha512 blake2b blake2s sha3_256 sha3_512",
    "hmac": "new digest compare_digest",
    "functools": "reduce cmp_to_key partial lru_cache cache wraps",
    "itertools": ("accumulate chain combinations combinations_with_replacement compress dropwhile "
                  "filterfalse groupby islice pairwise permutations product repeat starmap "
                  "takewhile tee zip_longest"),
    "copy": "copy deepcopy",
    "decimal": "Decimal",
    "fractions": "Fraction",
    "datetime": "date time datetime timedelta timezone",
    "datetime.datetime": "fromisoformat strptime combine fromordinal",
    "datetime.date": "fromisoformat fromordinal fromisocalendar",
    "datetime.time": "fromisoformat",
    "datetime.timezone": "utc",
    "calendar": "isleap leapdays monthrange weekday timegm",
    "ipaddress": "ip_address ip_network ip_interface",
    "uuid": "UUID uuid3 uuid5",
    "os.path": "basename dirname join normpath splitext split commonprefix",
    "posixpath": "basename dirname join normpath splitext split",
    "enum": "Enum IntEnum StrEnum Flag IntFlag auto",
    "typing": "cast NamedTuple TypedDict",
    "collections": "namedtuple",
    "dataclasses": "asdict astuple replace fields",
    "bisect": "bisect bisect_left bisect_right",
    "heapq": "nlargest nsmallest merge",
    "struct": "pack unpack calcsize",
    "shlex": "quote split join",
    "fnmatch": "fnmatch fnmatchcase translate",
    "difflib": "SequenceMatcher get_close_matches",
}
PURE_FUNCTIONS: Final[frozenset[str]] = frozenset(
    f"{module}.{name}" for module, names in _MATH.items() for name in names.split())

FRESH_CONSTRUCTORS: Final[frozenset[str]] = frozenset({
    "collections.Counter", "collections.OrderedDict", "collections.defaultdict", "collections.deque",
    "collections.ChainMap", "io.StringIO", "io.BytesIO", "decimal.Context", "decimal.localcontext",
    "array.array",
})

MUTATES_FIRST_ARGUMENT: Final[frozenset[str]] = frozenset({
    "heapq.heappush", "heapq.heappop", "heapq.heapify", "heapq.heappushpop", "heapq.heapreplace",
    "bisect.insort", "bisect.insort_left", "bisect.insort_right",
})

# Builtins: name -> how the analyzer treats a call.
PURE_BUILTINS: Final[frozenset[str]] = frozenset({
    "abs", "all", "any", "ascii", "bin", "bool", "bytes", "bytearray", "callable", "chr",
    "complex", "dict", "divmod", "enumerate", "filter", "float", "format", "frozenset",
    "getattr", "hasattr", "hex", "int", "isinstance", "issubclass", "iter", "len", "list", "map",
    "max", "min", "oct", "ord", "pow", "range", "repr", "reversed", "round", "set", "slice",
    "sorted", "str", "sum", "super", "tuple", "type", "zip", "object", "property", "staticmethod",
    "classmethod", "NotImplemented", "Ellipsis",
})
BUILTIN_MUTATES_FIRST_ARGUMENT: Final[frozenset[str]] = frozenset({"next", "setattr", "delattr"})
# Builtins whose result is not a function of the arguments (hash of str is salted per process,
# id is an address): fine to call, but nothing derived from them may be a key... they are rare
# in Processors, so they count as nondeterministic.
NONDETERMINISTIC_BUILTINS: Final[frozenset[str]] = frozenset({"hash", "id"})
IO_BUILTINS: Final[frozenset[str]] = frozenset({"print", "open", "input", "breakpoint", "help"})
DYNAMIC_BUILTINS: Final[frozenset[str]] = frozenset({
    "eval", "exec", "compile", "globals", "locals", "vars", "__import__", "dir", "memoryview",
})
# Exceptions are classes whose construction is pure.
EXCEPTION_BUILTINS: Final[frozenset[str]] = frozenset({
    "Exception", "ValueError", "TypeError", "KeyError", "IndexError", "RuntimeError",
    "ArithmeticError", "ZeroDivisionError", "AttributeError", "LookupError", "AssertionError",
    "NotImplementedError", "OverflowError", "StopIteration", "UnicodeDecodeError",
    "UnicodeEncodeError", "UnicodeError",
})

PURE_METHODS: Final[frozenset[str]] = frozenset("""
capitalize casefold center count encode decode endswith expandtabs find format format_map index
isalnum isalpha isascii isdecimal isdigit isidentifier islower isnumeric isprintable isspace
istitle isupper join ljust lower lstrip maketrans partition removeprefix removesuffix replace rfind
rindex rjust rpartition rsplit rstrip split splitlines startswith strip swapcase title translate
upper zfill hex fromhex
bit_length bit_count conjugate as_integer_ratio is_integer to_bytes from_bytes real imag numerator
denominator
adjusted as_tuple canonical compare compare_total copy_abs copy_negate copy_sign exp fma is_finite
is_infinite is_nan is_signed is_zero ln log10 logb max min normalize quantize scaleb sqrt
to_eng_string to_integral to_integral_value to_integral_exact
copy get keys values items union intersection difference symmetric_difference issubset issuperset
isdisjoint most_common elements total
date time timetz isoformat strftime weekday isoweekday isocalendar toordinal
utcoffset tzname dst ctime timetuple utctimetuple total_seconds days seconds
microseconds year month day hour minute second microsecond tzinfo fold
group groups groupdict start end span expand match search fullmatch findall finditer sub subn
pattern flags
hexdigest digest name digest_size block_size
getvalue
""".split())

MUTATING_METHODS: Final[frozenset[str]] = frozenset("""
append extend insert remove pop popitem clear update setdefault add discard sort reverse
appendleft extendleft popleft rotate move_to_end intersection_update difference_update
symmetric_difference_update subtract __setitem__ __delitem__ __iadd__ write writelines seek
truncate
""".split())

# Bases of classes in the plugin files whose machinery is known (members, fields): such a
# class is made and read like a plain one.
KNOWN_BASES: Final[frozenset[str]] = frozenset({
    "enum.Enum", "enum.IntEnum", "enum.StrEnum", "enum.Flag", "enum.IntFlag",
    "typing.NamedTuple", "builtins.object",
})
ENUM_BASES: Final[frozenset[str]] = frozenset({"enum.Enum", "enum.IntEnum", "enum.StrEnum",
                                               "enum.Flag", "enum.IntFlag"})
# Results of allow-listed calls that may themselves be called, purely.
CALLABLE_RESULTS: Final[frozenset[str]] = frozenset({
    "collections.namedtuple", "operator.itemgetter", "operator.attrgetter",
})
# Constants of the standard library that are plain values (handed on, they run nothing).
PURE_CONSTANTS: Final[frozenset[str]] = frozenset(
    {f"math.{n}" for n in ("pi", "e", "tau", "inf", "nan")}
    | {f"string.{n}" for n in ("ascii_letters", "ascii_lowercase", "ascii_uppercase", "digits",
                               "hexdigits", "octdigits", "punctuation", "printable", "whitespace")})

# Builtin types' own functions reached as attributes (`dict.fromkeys`, `str.lower`).
PURE_FUNCTIONS_OF_BUILTINS: Final[frozenset[str]] = frozenset(
    {"builtins.dict.fromkeys", "builtins.int.from_bytes", "builtins.bytes.fromhex",
     "builtins.str.maketrans"}
    | {f"builtins.str.{m}" for m in ("lower upper strip lstrip rstrip title casefold capitalize "
                                     "swapcase split join replace startswith endswith isdigit "
                                     "isalpha isalnum isspace zfill format").split()})

# Class decorators that only add plain methods (an __init__ storing the fields, comparisons).
CLASS_DECORATORS: Final[frozenset[str]] = frozenset({
    "dataclasses.dataclass", "functools.total_ordering", "typing.final", "enum.unique",
})

# Function decorators that return the function itself, or a wrapper that calls it with the
# same arguments and returns its result (a cache of a pure function changes no result).
FUNCTION_DECORATORS: Final[frozenset[str]] = frozenset({
    "functools.lru_cache", "functools.cache", "functools.wraps", "typing.final",
    "typing.overload", "abc.abstractmethod",
})

# Pure methods whose result is a new object that nothing else holds (so it may be changed).
NEW_OBJECT_METHODS: Final[frozenset[str]] = frozenset("""
split rsplit splitlines partition rpartition copy keys values items union intersection
difference symmetric_difference most_common elements groups groupdict findall
""".split())

# Pure functions whose result is an iterator (consumed by iterating it).
RETURNS_ITERATOR: Final[frozenset[str]] = frozenset(
    {f"itertools.{n}" for n in _MATH["itertools"].split()} | {"re.finditer", "builtins.map",
                                                                 "builtins.filter", "builtins.zip"})

# Pure functions whose result may be (part of) an argument, not a new object.
RETURNS_ARGUMENT: Final[frozenset[str]] = frozenset({
    "operator.getitem", "functools.reduce", "statistics.mode", "statistics.median_low",
    "statistics.median_high", "statistics.multimode", "copy.copy",
})

# What an unknown call that is not allowed was, for the message (never for the decision).
_CLOCKS: Final = ("time.", "datetime.datetime.now", "datetime.datetime.utcnow",
                  "datetime.datetime.today", "datetime.date.today")
_RANDOM: Final = ("random.", "secrets.", "uuid.uuid1", "uuid.uuid4", "os.urandom", "numpy.random.")
_IO: Final = ("builtins.open", "builtins.print", "builtins.input", "io.", "os.", "sys.",
              "subprocess.", "socket.", "urllib.request", "http.", "requests.", "httpx.",
              "aiohttp.", "sqlite3.", "shutil.", "logging.", "smtplib.", "ftplib.", "tempfile.",
              "psycopg2.", "psycopg.", "pymysql.", "redis.", "boto3.", "asyncio.", "threading.",
              "multiprocessing.", "pickle.", "shelve.", "pathlib.", "glob.")
_ENV: Final = ("os.environ", "os.getenv", "os.putenv", "os.unsetenv", "os.environb", "os.getenvb")
_DYNAMIC: Final = ("importlib.", "builtins.eval", "builtins.exec", "builtins.compile",
                   "builtins.globals", "builtins.locals", "builtins.vars", "builtins.__import__",
                   "inspect.", "ctypes.", "gc.")


def function_kind(qname: str) -> str:
    """How a call to the external function `qname` is treated.

    'pure' | 'fresh' | 'mutates-first' | 'random-seeded' | 'unknown'.
    """
    if qname in PURE_FUNCTIONS or qname in PURE_FUNCTIONS_OF_BUILTINS:
        return "pure"
    if qname in FRESH_CONSTRUCTORS:
        return "fresh"
    if qname in MUTATES_FIRST_ARGUMENT:
        return "mutates-first"
    if qname == "random.Random":
        return "random-seeded"       # fresh and deterministic only with a seed argument
    return "unknown"


def effect_of(qname: str) -> str | None:
    """'env' | 'clock' | 'random' | 'io' | 'dynamic' for a known kind of effect, else None."""
    if qname.startswith(_ENV):
        return "env"
    if qname.startswith(_DYNAMIC):
        return "dynamic"
    if qname.startswith(_RANDOM):
        return "random"
    if qname.startswith(_CLOCKS):
        return "clock"
    if qname.startswith(_IO):
        return "io"
    return None


def is_environment(qname: str) -> bool:
    return qname.startswith(_ENV)
