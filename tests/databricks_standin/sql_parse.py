"""Parsing of the statements the stand-in's SQL warehouses receive, as Databricks SQL.

Why: a typo in a tool's SQL must fail its tests the way it fails on Databricks, with
``[PARSE_SYNTAX_ERROR]``. Statements are parsed by sqlglot's Databricks dialect. sqlglot turns what it
cannot parse fully into a generic ``Command``; that is treated as a syntax error too, except for
the few Databricks-only statements below, which are matched by strict grammars of their own
(RESTORE, DESCRIBE DETAIL, DESCRIBE HISTORY ... LIMIT, CREATE CATALOG, CREATE VOLUME, SHOW ...).
``IDENTIFIER(:param)`` / ``IDENTIFIER('name')`` clauses are replaced by the quoted name first.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import sqlglot
from sqlglot import exp
from sqlglot.errors import ParseError, TokenError
from sqlglot.tokens import Token, TokenType

from .unity_catalog import SqlError

_NAME = r"(?:`(?:[^`]|``)+`|[A-Za-z0-9_]+)"
_QNAME = rf"{_NAME}(?:\s*\.\s*{_NAME}){{0,2}}"
_STRING = r"'(?:[^'\\]|\\.)*'"
_IF_NOT_EXISTS = r"(?P<ine>IF\s+NOT\s+EXISTS\s+)?"
_COMMENT = rf"(?:\s+COMMENT\s+(?P<comment>{_STRING}))?"
# sqlglot forgives a comma before these; Databricks does not.
_AFTER_NO_COMMA = {
    TokenType.R_PAREN,
    TokenType.FROM,
    TokenType.WHERE,
    TokenType.GROUP_BY,
    TokenType.ORDER_BY,
    TokenType.HAVING,
    TokenType.LIMIT,
}


@dataclass(frozen=True)
class Restore:
    """``RESTORE [TABLE] t [TO] VERSION AS OF n | TIMESTAMP AS OF 'ts'``."""

    table: exp.Table
    version: int | None
    timestamp: str | None


@dataclass(frozen=True)
class DescribeDetail:
    table: exp.Table


@dataclass(frozen=True)
class DescribeHistory:
    """``DESCRIBE HISTORY t [LIMIT n]`` (sqlglot parses it only without LIMIT)."""

    table: exp.Table
    limit: int | None


@dataclass(frozen=True)
class CreateCatalog:
    name: str
    if_not_exists: bool
    comment: str | None


@dataclass(frozen=True)
class CreateVolume:
    table: exp.Table
    if_not_exists: bool
    comment: str | None


@dataclass(frozen=True)
class Show:
    """``SHOW TABLES|SCHEMAS|CATALOGS [IN|FROM name]``."""

    kind: str
    scope: exp.Table | None


Statement = exp.Expression | Restore | DescribeDetail | DescribeHistory | CreateCatalog | CreateVolume | Show


def syntax_error(near: str, line: int | None = None, pos: int | None = None, note: str = "") -> SqlError:
    where = f" (line {line}, pos {pos})" if line is not None else ""
    return SqlError("PARSE_SYNTAX_ERROR", f"Syntax error at or near '{near}'.{note}", "42601", context=where)


def _string(literal: str | None) -> str | None:
    return None if literal is None else sqlglot.parse_one(literal, read="databricks").name


def _table(name: str) -> exp.Table:
    return exp.to_table(name, dialect="databricks")


def _special(text: str) -> Statement | None:
    flags = re.IGNORECASE | re.DOTALL
    if m := re.fullmatch(
        rf"RESTORE\s+(?:TABLE\s+)?(?P<name>{_QNAME})\s+(?:TO\s+)?"
        rf"(?:VERSION\s+AS\s+OF\s+(?P<version>\d+)|TIMESTAMP\s+AS\s+OF\s+(?P<ts>{_STRING}))",
        text,
        flags,
    ):
        version = m.group("version")
        return Restore(_table(m.group("name")), int(version) if version else None, _string(m.group("ts")))
    if m := re.fullmatch(rf"DESC(?:RIBE)?\s+DETAIL\s+(?P<name>{_QNAME})", text, flags):
        return DescribeDetail(_table(m.group("name")))
    if m := re.fullmatch(rf"DESC(?:RIBE)?\s+HISTORY\s+(?P<name>{_QNAME})\s+LIMIT\s+(?P<limit>\d+)", text, flags):
        return DescribeHistory(_table(m.group("name")), int(m.group("limit")))
    if m := re.fullmatch(rf"CREATE\s+CATALOG\s+{_IF_NOT_EXISTS}(?P<name>{_NAME}){_COMMENT}", text, flags):
        name = _table(m.group("name")).name
        return CreateCatalog(name, bool(m.group("ine")), _string(m.group("comment")))
    if m := re.fullmatch(rf"CREATE\s+VOLUME\s+{_IF_NOT_EXISTS}(?P<name>{_QNAME}){_COMMENT}", text, flags):
        return CreateVolume(_table(m.group("name")), bool(m.group("ine")), _string(m.group("comment")))
    if m := re.fullmatch(
        rf"SHOW\s+(?P<kind>TABLES|SCHEMAS|DATABASES|CATALOGS)(?:\s+(?:IN|FROM)\s+(?P<name>{_QNAME}))?", text, flags
    ):
        kind = {"DATABASES": "SCHEMAS"}.get(m.group("kind").upper(), m.group("kind").upper())
        return Show(kind, _table(m.group("name")) if m.group("name") else None)
    return None


def _strict(text: str) -> None:
    """Refuse what sqlglot parses leniently: a dangling comma, a WHEN without its THEN."""
    tokens = sqlglot.tokenize(text, read="databricks")

    def fail(token: Token) -> SqlError:
        return syntax_error(token.text, token.line, token.col - len(token.text))

    for before, after in zip(tokens, tokens[1:], strict=False):
        if before.token_type == TokenType.COMMA and after.token_type in _AFTER_NO_COMMA:
            raise fail(after)
    pending_when: Token | None = None
    for token in tokens:
        if token.token_type in (TokenType.WHEN, TokenType.END) and pending_when is not None:
            raise fail(token)
        if token.token_type == TokenType.WHEN:
            pending_when = token
        elif token.token_type == TokenType.THEN:
            pending_when = None
    if pending_when is not None:
        raise fail(pending_when)


def _quoted_name(text: str) -> str:
    """A (possibly qualified, possibly back-quoted) name as back-quoted parts: ``c.`s x`.t`` -> `c`.`s x`.`t`."""
    part = r"\s*(?:`((?:[^`]|``)+)`|([^.`\s]+))\s*"
    if not re.fullmatch(rf"{part}(?:\.{part})*", text):
        raise SqlError("INVALID_SQL_SYNTAX.INVALID_IDENTIFIER", f"{text!r} is not a valid identifier.", "42601")
    names = [quoted.replace("``", "`") or plain for quoted, plain in re.findall(part + r"(?:\.|$)", text)]
    return ".".join("`" + n.replace("`", "``") + "`" for n in names)


def expand_identifier_clauses(sql: str, parameters: dict[str, exp.Expression]) -> str:
    """Replace ``IDENTIFIER(:param)`` and ``IDENTIFIER('name')`` by the quoted name: sqlglot misparses them."""
    try:
        tokens = sqlglot.tokenize(sql, read="databricks")
    except TokenError:
        return sql  # parse_statement reports it
    pieces, copied = [], 0
    for i, token in enumerate(tokens):
        if token.text.upper() != "IDENTIFIER" or i + 3 >= len(tokens) or tokens[i + 1].token_type != TokenType.L_PAREN:
            continue
        inner = tokens[i + 2 : i + 5]
        if inner[0].token_type == TokenType.STRING and inner[1].token_type == TokenType.R_PAREN:
            text, end = inner[0].text, inner[1].end
        elif inner[0].token_type == TokenType.COLON and len(inner) == 3 and inner[2].token_type == TokenType.R_PAREN:
            value = parameters.get(inner[1].text.lower())
            if not isinstance(value, exp.Literal) or not value.is_string:
                raise SqlError(
                    "UNBOUND_SQL_PARAMETER",
                    f"Found the unbound parameter: {inner[1].text} (a STRING is needed).",
                    "42P02",
                )
            text, end = value.name, inner[2].end
        else:
            continue
        pieces += [sql[copied : token.start], _quoted_name(text)]
        copied = end + 1
    return "".join(pieces) + sql[copied:]


def parse_statement(sql: str) -> Statement:
    """One statement, or the ``[PARSE_SYNTAX_ERROR]`` (``[PARSE_EMPTY_STATEMENT]``) Databricks answers."""
    text = sql.strip().rstrip(";").strip()
    if not text:
        raise SqlError("PARSE_EMPTY_STATEMENT", "Syntax error, unexpected empty statement.", "42617")
    special = _special(text)
    if special is not None:
        return special
    null_comment = re.fullmatch(r"(COMMENT\s+ON\s+.+\s+IS)\s+NULL", text, re.IGNORECASE | re.DOTALL)
    try:
        statements = [
            s for s in sqlglot.parse(null_comment.group(1) + " ''" if null_comment else text, read="databricks") if s
        ]
    except ParseError as exc:
        error = exc.errors[0] if exc.errors else {}
        highlight = error.get("highlight") or text[:30]
        col = error.get("col")
        raise syntax_error(highlight, error.get("line"), (col - len(highlight)) if col else None) from exc
    except TokenError as exc:
        raise syntax_error(text[:30], note=f" {exc}") from exc
    if len(statements) > 1:
        second = statements[1].sql("databricks").split()[0]
        raise syntax_error(second, note=" Only one statement can be executed at a time.")
    statement = statements[0]
    if isinstance(statement, exp.Command):
        raise syntax_error(
            text[:40],
            note=" (The stand-in parses Databricks SQL with sqlglot, which could not parse this statement.)",
        )
    _strict(text)
    if null_comment:
        statement.set("expression", exp.Null())
    return statement
