"""The characters whose case Spark maps differently from DuckDB, and DuckDB's mapping.

Input: none (found by mapping every code point with `lower`/`upper` on DuckDB 2.0 and on
Spark 4.0 under Java 17).
Output: for `lower` and `upper`, the characters (`FROM`) and what DuckDB makes of each (`TO`).

Java maps case with Unicode's full mappings: `upper('ß')` is `SS`, `lower('İ')` is `i̇`, a
final `Σ` becomes `ς`. DuckDB maps each character to one character. `dialects._spark` hides
these characters behind private-use placeholders while Spark maps the case, then puts
DuckDB's characters in their place.
"""

from __future__ import annotations

LOWER_FROM = ("\u0130\u03a3\u1c89\ua7cb\ua7cc\ua7da\ua7dc\U00010d50\U00010d51\U00010d52\U00010d53\U00010d54"
    "\U00010d55\U00010d56\U00010d57\U00010d58\U00010d59\U00010d5a\U00010d5b\U00010d5c\U00010d5d"
    "\U00010d5e\U00010d5f\U00010d60\U00010d61\U00010d62\U00010d63\U00010d64\U00010d65")
LOWER_TO = ("i\u03c3\u1c89\ua7cb\ua7cc\ua7da\ua7dc\U00010d50\U00010d51\U00010d52\U00010d53\U00010d54"
    "\U00010d55\U00010d56\U00010d57\U00010d58\U00010d59\U00010d5a\U00010d5b\U00010d5c\U00010d5d"
    "\U00010d5e\U00010d5f\U00010d60\U00010d61\U00010d62\U00010d63\U00010d64\U00010d65")
UPPER_FROM = ("\u00df\u0149\u019b\u01f0\u0264\u0390\u03b0\u0587\u1c8a\u1e96\u1e97\u1e98\u1e99\u1e9a\u1f50\u1f52"
    "\u1f54\u1f56\u1f80\u1f81\u1f82\u1f83\u1f84\u1f85\u1f86\u1f87\u1f88\u1f89\u1f8a\u1f8b\u1f8c\u1f8d"
    "\u1f8e\u1f8f\u1f90\u1f91\u1f92\u1f93\u1f94\u1f95\u1f96\u1f97\u1f98\u1f99\u1f9a\u1f9b\u1f9c\u1f9d"
    "\u1f9e\u1f9f\u1fa0\u1fa1\u1fa2\u1fa3\u1fa4\u1fa5\u1fa6\u1fa7\u1fa8\u1fa9\u1faa\u1fab\u1fac\u1fad"
    "\u1fae\u1faf\u1fb2\u1fb3\u1fb4\u1fb6\u1fb7\u1fbc\u1fc2\u1fc3\u1fc4\u1fc6\u1fc7\u1fcc\u1fd2\u1fd3"
    "\u1fd6\u1fd7\u1fe2\u1fe3\u1fe4\u1fe6\u1fe7\u1ff2\u1ff3\u1ff4\u1ff6\u1ff7\u1ffc\ua7cd\ua7db\ufb00"
    "\ufb01\ufb02\ufb03\ufb04\ufb05\ufb06\ufb13\ufb14\ufb15\ufb16\ufb17\U00010d70\U00010d71\U00010d72"
    "\U00010d73\U00010d74\U00010d75\U00010d76\U00010d77\U00010d78\U00010d79\U00010d7a\U00010d7b"
    "\U00010d7c\U00010d7d\U00010d7e\U00010d7f\U00010d80\U00010d81\U00010d82\U00010d83\U00010d84"
    "\U00010d85")
UPPER_TO = ("\u1e9e\u0149\u019b\u01f0\u0264\u0390\u03b0\u0587\u1c8a\u1e96\u1e97\u1e98\u1e99\u1e9a\u1f50\u1f52"
    "\u1f54\u1f56\u1f88\u1f89\u1f8a\u1f8b\u1f8c\u1f8d\u1f8e\u1f8f\u1f88\u1f89\u1f8a\u1f8b\u1f8c\u1f8d"
    "\u1f8e\u1f8f\u1f98\u1f99\u1f9a\u1f9b\u1f9c\u1f9d\u1f9e\u1f9f\u1f98\u1f99\u1f9a\u1f9b\u1f9c\u1f9d"
    "\u1f9e\u1f9f\u1fa8\u1fa9\u1faa\u1fab\u1fac\u1fad\u1fae\u1faf\u1fa8\u1fa9\u1faa\u1fab\u1fac\u1fad"
    "\u1fae\u1faf\u1fb2\u1fbc\u1fb4\u1fb6\u1fb7\u1fbc\u1fc2\u1fcc\u1fc4\u1fc6\u1fc7\u1fcc\u1fd2\u1fd3"
    "\u1fd6\u1fd7\u1fe2\u1fe3\u1fe4\u1fe6\u1fe7\u1ff2\u1ffc\u1ff4\u1ff6\u1ff7\u1ffc\ua7cd\ua7db\ufb00"
    "\ufb01\ufb02\ufb03\ufb04\ufb05\ufb06\ufb13\ufb14\ufb15\ufb16\ufb17\U00010d70\U00010d71\U00010d72"
    "\U00010d73\U00010d74\U00010d75\U00010d76\U00010d77\U00010d78\U00010d79\U00010d7a\U00010d7b"
    "\U00010d7c\U00010d7d\U00010d7e\U00010d7f\U00010d80\U00010d81\U00010d82\U00010d83\U00010d84"
    "\U00010d85")

PLACEHOLDERS = "".join(chr(0xE000 + i) for i in range(max(len(LOWER_FROM), len(UPPER_FROM))))
"""Private-use characters, which neither engine changes the case of."""
