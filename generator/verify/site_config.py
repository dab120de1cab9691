"""mkdocs.yml, read like every input: under a size limit, and refused in one line unless the build can use it.

MkDocs reads the whole file, follows INHERIT without a limit, and builds
whatever an empty or partial configuration gives: pages rendered without the
tables, admonitions and attribute lists the check reads them with, so that
an empty file ended in thousands of mismatches instead of one line saying
what is wrong. So each file is read through core/input_file.py, and the
configuration must name what the build and the check rely on: the Material
theme, the search, i18n (both languages, each with its theme strings) and
mkdocs-jupyter plugins, the hooks, a nav, and the Markdown extensions the
pages are written for.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

from ..core.errors import UsageError
from ..core.input_file import open_input
from ..core.limits import MKDOCS_YML_LIMIT
from ..core.names import printable_name

INHERIT_DEPTH = 8  # MkDocs itself follows a cycle of INHERITs until Python's recursion limit
EXTENSIONS = ("admonition", "attr_list", "md_in_html", "tables", "toc", "pymdownx.superfences")
PLUGINS = ("search", "i18n", "mkdocs-jupyter")
LANGUAGES = ("es", "en")
LANGUAGE_STRINGS = (("copyright",), ("extra", "permalink_title"), ("extra", "not_found"))
HOOKS = "mkdocs_hooks.py"


def refusal(mkdocs_yml: Path, problem: str) -> UsageError:
    return UsageError(f"--mkdocs-yml: {printable_name(str(mkdocs_yml))} {problem}; pass the project's mkdocs.yml")


def load(mkdocs_yml: Path, depth: int = 0) -> dict[str, Any]:
    """The configuration as MkDocs reads it (INHERIT and !ENV included), every file read under MKDOCS_YML_LIMIT."""
    import mergedeep
    from mkdocs.exceptions import ConfigurationError
    from mkdocs.utils.yaml import yaml_load

    with open_input(mkdocs_yml, limit=MKDOCS_YML_LIMIT, error=UsageError, noun="--mkdocs-yml file",
                    advice="pass the project's mkdocs.yml") as opened:
        data = opened.read_all()
    try:
        config = yaml_load(data.decode("utf-8"))  # a str: MkDocs leaves INHERIT to us
    except UnicodeDecodeError as error:
        raise refusal(mkdocs_yml, "is not UTF-8 text") from error
    except ConfigurationError as error:
        raise refusal(mkdocs_yml, "is not valid YAML (" + " ".join(str(error).split())[:200] + ")") from error
    except RecursionError as error:
        raise refusal(mkdocs_yml, "nests too deeply to be a MkDocs configuration") from error
    if not isinstance(config, dict):
        raise refusal(mkdocs_yml, "is not a MkDocs configuration (its top level is not a mapping)")
    parent = config.pop("INHERIT", None)
    if parent is None:
        return config
    if not isinstance(parent, str) or depth >= INHERIT_DEPTH:
        raise refusal(mkdocs_yml, f"has an INHERIT that is not a file name, or a chain of more than {INHERIT_DEPTH}")
    return mergedeep.merge(load(Path(mkdocs_yml).parent / parent, depth + 1), config)


def extensions(mkdocs_yml: Path, config: dict[str, Any]) -> tuple[tuple[str, ...], dict[str, dict[str, Any]]]:
    """The Markdown extensions and their settings, refused unless listed as MkDocs lists them."""
    entries = config.get("markdown_extensions") or []
    if not isinstance(entries, list):
        raise refusal(mkdocs_yml, "has markdown_extensions that is not a list")
    names: list[str] = []
    settings: dict[str, dict[str, Any]] = {}
    for entry in entries:
        if isinstance(entry, dict) and all(isinstance(options, (dict, type(None))) for options in entry.values()):
            for name, options in entry.items():
                names.append(str(name))
                settings[str(name)] = options or {}
        elif isinstance(entry, str):
            names.append(entry)
        else:
            raise refusal(mkdocs_yml, "lists a Markdown extension that is neither a name nor a name with settings "
                          f"({entry!r:.60})")
    return tuple(names), settings


def require(mkdocs_yml: Path, config: dict[str, Any], names: tuple[str, ...]) -> None:
    """Refuse, in one line, a configuration without what the build and the check rely on."""
    theme = config.get("theme")
    if (theme.get("name") if isinstance(theme, dict) else theme) != "material":
        raise refusal(mkdocs_yml, "has no `theme` with `name: material`, which the pages and hooks are made for")
    if not isinstance(config.get("nav"), list) or not config["nav"]:
        raise refusal(mkdocs_yml, "has no `nav` listing the pages")
    missing = [name for name in EXTENSIONS if name not in names]
    if missing:
        raise refusal(mkdocs_yml, f"lacks the Markdown extensions {', '.join(missing)}, which the pages are written for")
    plugins = _named(config.get("plugins"))
    absent = [name for name in PLUGINS if name not in plugins]
    if plugins is None or absent:
        raise refusal(mkdocs_yml, f"lacks the plugins {', '.join(absent or PLUGINS)} in a `plugins` list")
    hooks = config.get("hooks")
    if not isinstance(hooks, list) or not any(isinstance(hook, str) and Path(hook).name == HOOKS for hook in hooks):
        raise refusal(mkdocs_yml, f"does not list generator/pipeline/{HOOKS} under `hooks`")
    _require_languages(mkdocs_yml, plugins["i18n"])


def _named(entries: object) -> dict[str, Any] | None:
    """Plugins by name, from MkDocs' list of names and one-key mappings, or from a mapping; None for anything else."""
    if isinstance(entries, dict):
        return {str(name): options for name, options in entries.items()}
    if not isinstance(entries, list):
        return None
    named: dict[str, Any] = {}
    for entry in entries:
        named.update({str(entry): None} if isinstance(entry, str) else entry if isinstance(entry, dict) else {})
    return named


def _require_languages(mkdocs_yml: Path, i18n: object) -> None:
    """Both languages under the i18n plugin, each with the theme strings Material's language files lack."""
    languages = i18n.get("languages") if isinstance(i18n, dict) else None
    found = {entry["locale"]: entry for entry in languages or [] if isinstance(entry, dict)
             and isinstance(entry.get("locale"), str)}
    for locale in LANGUAGES:
        entry = found.get(locale)
        if entry is None:
            raise refusal(mkdocs_yml, f"has no `{locale}` language under the i18n plugin's `languages`")
        for keys in LANGUAGE_STRINGS:
            value: object = entry
            for key in keys:
                value = value.get(key) if isinstance(value, dict) else None
            if not isinstance(value, str) or not value:
                raise refusal(mkdocs_yml, f"has no `{'.'.join(keys)}` for the `{locale}` language of the i18n plugin")


@cache
def usable(mkdocs_yml: Path) -> None:
    """Refuse, in one line, a file the build could not use: read once per process, before any work."""
    config = load(mkdocs_yml)
    names, _settings = extensions(mkdocs_yml, config)
    require(mkdocs_yml, config, names)
