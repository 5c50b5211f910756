"""The code catalogues are complete and exact: every code the package can emit is in them, and
they hold no other (docs/contract.md, section 1).

Statically, every module of the package is parsed and every string that can reach a code
position is collected: the ``code`` of :class:`~wsgicors.Decision`, :class:`~wsgicors.Problem`
and :class:`~wsgicors.origin_regex.RegexFinding`; the code parameter of every function or method
that passes its own parameter on to one of those (the collector finds them: ``Findings.error``,
``CompiledRule._refuse``...); and the first element of the ``(code, message, hint)`` tuples
returned by functions annotated ``tuple[str, str, str]``. A code position whose strings the
collector cannot list (a computed string, a code-taking callable used as a value, a receiver
whose type it cannot tell) fails the test, so a new way of emitting codes cannot slip past it.

Dynamically, every decision code is recorded by some request of the behaviour table.
"""

from __future__ import annotations

import ast
import builtins
import dataclasses
import itertools
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import pytest

import wsgicors
from tests.cases import APP, CASES, tenant_lookup
from tests.support import Case, SpyApp, request
from wsgicors import DECISION_CODES, PROBLEM_CODES, CORSMiddleware, Decision, Problem, Rule
from wsgicors.origin_funcs import MAX_CALLS_PER_SECOND
from wsgicors.origin_regex import RegexFinding

Catalogue = Literal["decision", "problem"]
#: A definition in the package, as (module, qualified name): ``("wsgicors.errors", "Findings")``.
Target = tuple[str, str]
#: The type of a receiver that is not an instance of a package class (a module, a logger...).
OTHER: Target = ("", "")
_CODE_TUPLE = "tuple[str, str, str]"
_Function = ast.FunctionDef | ast.AsyncFunctionDef
_Bindings = dict[str, list[ast.expr | None]]


def flood_codes() -> set[str]:
    """The codes a flood of unknown origins records: more than a second's budget of calls.

    Every code of the flood counts, not only the last one's: a flood that straddles the turn
    of a second gets a fresh budget partway through.
    """
    middleware = CORSMiddleware(
        SpyApp(), [Rule("/api/*", allow_origins=[APP], allow_origin_func=tenant_lookup)]
    )
    return {
        request(middleware, "GET", "/api/x", {"Origin": f"https://o{n}.test"}).decision.code
        for n in range(MAX_CALLS_PER_SECOND * 3)
    }


class UnresolvableCodeError(AssertionError):
    """A code position whose codes cannot be listed statically."""


@dataclass(frozen=True)
class Sink:
    """A callable that takes a code: its catalogue, and where the code argument is.

    :param index: the code's positional index (``self`` not counted), ``None`` if keyword-only.
    :param keyword: the code parameter's name.
    """

    catalogue: Catalogue
    index: int | None
    keyword: str = "code"


def _class_sink(cls: type, catalogue: Catalogue) -> tuple[Target, Sink]:
    names = [field.name for field in dataclasses.fields(cls)]
    return (cls.__module__, cls.__qualname__), Sink(catalogue, names.index("code"))


#: The values that carry a code; every other code position is found from these.
SEEDS: dict[Target, Sink] = dict(
    [
        _class_sink(Decision, "decision"),
        _class_sink(Problem, "problem"),
        _class_sink(RegexFinding, "problem"),
    ]
)


@dataclass
class _Module:
    name: str
    tree: ast.Module
    #: local name -> ("module", module name), ("symbol", (module, name)) or ("foreign", "")
    imports: dict[str, tuple[str, str | Target]]
    #: qualified name -> class or function definition (methods and nested functions too)
    definitions: dict[str, ast.AST]
    #: module-level name -> the values assigned to it (None: bound some other way)
    bindings: _Bindings


@dataclass
class _Frame:
    """A function (or lambda) being visited, inside the frames that enclose it."""

    node: _Function | ast.Lambda
    qualname: str
    method_of: str | None  # the class, for a method whose first parameter is self or cls
    bindings: _Bindings
    parent: _Frame | None

    def positional(self) -> list[str]:
        arguments = self.node.args
        names = [arg.arg for arg in [*arguments.posonlyargs, *arguments.args]]
        return names[1:] if self.method_of else names

    def parameters(self) -> set[str]:
        arguments = self.node.args
        every = [*arguments.posonlyargs, *arguments.args, *arguments.kwonlyargs]
        every += [arg for arg in (arguments.vararg, arguments.kwarg) if arg is not None]
        return {arg.arg for arg in every}


def _bindings(body: list[ast.stmt]) -> _Bindings:
    """Map each name bound in *body* (not inside nested functions or classes) to its values."""
    found: _Bindings = {}

    def bind(target: ast.expr, value: ast.expr | None) -> None:
        if isinstance(target, ast.Name):
            found.setdefault(target.id, []).append(value)
        else:  # unpacking, or a subscript or attribute target: values are not followed
            for name in ast.walk(target):
                if isinstance(name, ast.Name) and isinstance(name.ctx, ast.Store):
                    found.setdefault(name.id, []).append(None)

    pending: list[ast.AST] = list(body)
    while pending:
        node = pending.pop()
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            found.setdefault(node.name, []).append(None)
            continue
        if isinstance(node, ast.Lambda):
            continue
        if isinstance(node, ast.Assign):
            for target in node.targets:
                bind(target, node.value)
        elif isinstance(node, ast.AnnAssign | ast.NamedExpr) and node.value is not None:
            bind(node.target, node.value)
        elif isinstance(node, ast.AugAssign | ast.For | ast.AsyncFor | ast.comprehension):
            bind(node.target, None)
        elif isinstance(node, ast.withitem) and node.optional_vars is not None:
            bind(node.optional_vars, None)
        elif isinstance(node, ast.ExceptHandler) and node.name:
            found.setdefault(node.name, []).append(None)
        elif isinstance(node, ast.Global | ast.Nonlocal):
            for name in node.names:
                found.setdefault(name, []).append(None)
        pending.extend(ast.iter_child_nodes(node))
    return found


def _type_nodes(tree: ast.AST) -> set[int]:
    """The ids of the nodes that only name types: annotations, ``if TYPE_CHECKING:`` blocks,
    and the names in subscripts (``Callable[[Problem], None]``). They never call anything."""
    roots: list[ast.AST] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.arg) and node.annotation is not None:
            roots.append(node.annotation)
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.returns:
            roots.append(node.returns)
        elif isinstance(node, ast.AnnAssign):
            roots.append(node.annotation)
        elif isinstance(node, ast.If) and ast.unparse(node.test).endswith("TYPE_CHECKING"):
            roots.extend(node.body)
        elif isinstance(node, ast.Subscript):
            roots.extend(
                name for name in ast.walk(node.slice) if isinstance(name, ast.Name | ast.Attribute)
            )
    return {id(inner) for root in roots for inner in ast.walk(root)}


def _returns_code_tuples(node: ast.AST | None) -> bool:
    returns = getattr(node, "returns", None)
    return returns is not None and _CODE_TUPLE in ast.unparse(returns)


class CodeCollector:
    """Collect every code some modules can emit, by catalogue (see the module docstring).

    :param sources: module name (``wsgicors.errors``) -> source text.
    """

    def __init__(self, sources: dict[str, str]) -> None:
        self.module_names = set(sources)
        self.modules = {name: self._index(name, source) for name, source in sources.items()}
        self.sinks: dict[Target, Sink] = dict(SEEDS)
        self.codes: dict[Catalogue, set[str]] = {"decision": set(), "problem": set()}
        self._final = False

    def collect(self) -> dict[Catalogue, set[str]]:
        """Visit every module until no new code-taking callable turns up, then once more with
        every check on; return the codes."""
        while True:
            known = len(self.sinks)
            self._visit_all()
            if len(self.sinks) == known:
                break
        self._final = True
        self._visit_all()
        return self.codes

    def _visit_all(self) -> None:
        self.codes = {"decision": set(), "problem": set()}
        for module in self.modules.values():
            skip = _type_nodes(module.tree)
            for statement in module.tree.body:
                self._visit(module, statement, None, None, skip)

    # --- Indexing ------------------------------------------------------------------------

    def _index(self, name: str, source: str) -> _Module:
        tree = ast.parse(source)
        imports: dict[str, tuple[str, str | Target]] = {}
        # Imports anywhere (under TYPE_CHECKING, inside functions) name the same things.
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                for alias in node.names:
                    local = alias.asname or alias.name.split(".")[0]
                    module = alias.name if alias.asname else local
                    inside = module.split(".")[0] == "wsgicors"
                    imports[local] = ("module", module) if inside else ("foreign", "")
            elif isinstance(node, ast.ImportFrom):
                base = self._absolute(name, node)
                for alias in node.names:
                    local = alias.asname or alias.name
                    if base.split(".")[0] != "wsgicors":
                        imports[local] = ("foreign", "")
                    elif f"{base}.{alias.name}" in self.module_names:
                        imports[local] = ("module", f"{base}.{alias.name}")
                    else:
                        imports[local] = ("symbol", (base, alias.name))
        definitions: dict[str, ast.AST] = {}

        def define(body: list[ast.stmt], prefix: str) -> None:
            for node in body:
                if isinstance(node, ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
                    definitions[prefix + node.name] = node
                    define(node.body, f"{prefix}{node.name}.")

        define(tree.body, "")
        return _Module(name, tree, imports, definitions, _bindings(tree.body))

    def _absolute(self, name: str, node: ast.ImportFrom) -> str:
        """The module a ``from ... import`` reads, a relative one resolved."""
        if not node.level:
            return node.module or ""
        package = name.split(".")
        if not any(other.startswith(f"{name}.") for other in self.module_names):
            package = package[:-1]  # a module, not a package: its package is its parent
        package = package[: len(package) - node.level + 1]
        return ".".join([*package, *filter(None, [node.module])])

    # --- Visiting ------------------------------------------------------------------------

    def _visit(
        self,
        module: _Module,
        node: ast.AST,
        frame: _Frame | None,
        owner: str | None,
        skip: set[int],
    ) -> None:
        """Visit *node*; *owner* is the qualified name of the class or function around it."""
        if id(node) in skip:
            return
        if isinstance(node, ast.ClassDef):
            for child in [*node.bases, *node.keywords, *node.decorator_list]:
                self._visit(module, child, frame, owner, skip)
            qualname = f"{owner}.{node.name}" if owner else node.name
            for statement in node.body:
                if isinstance(statement, ast.FunctionDef | ast.AsyncFunctionDef):
                    self._visit_function(module, statement, frame, qualname, skip, in_class=True)
                else:
                    self._visit(module, statement, frame, qualname, skip)
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            self._visit_function(module, node, frame, owner, skip, in_class=False)
        elif isinstance(node, ast.Lambda):
            for default in node.args.defaults:
                self._visit(module, default, frame, owner, skip)
            inner = _Frame(node, f"{owner}.<lambda>", None, {}, frame)
            self._visit(module, node.body, inner, owner, skip)
        elif isinstance(node, ast.Call):
            self._visit_call(module, node, frame, owner, skip)
        else:
            if isinstance(node, ast.Name | ast.Attribute):
                self._refuse_escape(module, node, frame)
            for child in ast.iter_child_nodes(node):
                self._visit(module, child, frame, owner, skip)

    def _visit_function(
        self,
        module: _Module,
        node: _Function,
        frame: _Frame | None,
        owner: str | None,
        skip: set[int],
        *,
        in_class: bool,
    ) -> None:
        for child in [*node.decorator_list, *node.args.defaults, *node.args.kw_defaults]:
            if child is not None:
                self._visit(module, child, frame, owner, skip)
        decorators = {ast.unparse(decorator) for decorator in node.decorator_list}
        method_of = owner if in_class and "staticmethod" not in decorators else None
        qualname = f"{owner}.{node.name}" if owner else node.name
        inner = _Frame(node, qualname, method_of, _bindings(node.body), frame)
        if _returns_code_tuples(node):
            self._collect_code_tuples(module, node, inner)
        for statement in node.body:
            self._visit(module, statement, inner, qualname, skip)

    def _collect_code_tuples(self, module: _Module, node: _Function, frame: _Frame) -> None:
        """Collect the first element of every ``(code, message, hint)`` tuple *node* returns."""
        pending: list[ast.AST] = list(node.body)
        while pending:
            child = pending.pop()
            if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
                continue
            pending.extend(ast.iter_child_nodes(child))
            if not isinstance(child, ast.Return):
                continue
            if isinstance(child.value, ast.Call):
                self._check_returned_call(module, child.value, frame)
                continue
            if not isinstance(child.value, ast.Tuple) or not child.value.elts:
                raise self._error(
                    module, child, "a (code, message, hint) function returns a non-tuple"
                )
            self.codes["problem"] |= self._strings(module, child.value.elts[0], frame)

    def _check_returned_call(self, module: _Module, call: ast.Call, frame: _Frame) -> None:
        """A code-tuple function returns what a call returns: a package class, or a package
        function that returns no tuple or code tuples of its own (checked where it builds
        them)."""
        target = self._callee(module, call.func, frame)
        definition = self._definition(target) if target else None
        if isinstance(definition, ast.ClassDef):
            return
        returns = getattr(definition, "returns", None)
        if returns is None or (
            "tuple" in ast.unparse(returns) and not _returns_code_tuples(definition)
        ):
            raise self._error(
                module, call, f"returns what {ast.unparse(call.func)} returns, which is unchecked"
            )

    def _visit_call(
        self,
        module: _Module,
        node: ast.Call,
        frame: _Frame | None,
        owner: str | None,
        skip: set[int],
    ) -> None:
        target = self._callee(module, node.func, frame)
        sink = self.sinks.get(target) if target else None
        if sink is not None:
            self._visit_code_argument(module, node, frame, sink)
        elif self._final and any(keyword.arg == "code" for keyword in node.keywords):
            raise self._error(module, node, f"code= passed to {ast.unparse(node.func)}, not a sink")
        children: list[ast.AST] = [*node.args, *node.keywords]
        # The callee is called, not used as a value; what it is called on may hold calls.
        if isinstance(node.func, ast.Attribute):
            children.append(node.func.value)
        elif not isinstance(node.func, ast.Name):
            children.append(node.func)
        for child in children:
            self._visit(module, child, frame, owner, skip)

    def _visit_code_argument(
        self, module: _Module, node: ast.Call, frame: _Frame | None, sink: Sink
    ) -> None:
        for keyword in node.keywords:
            if keyword.arg == sink.keyword:
                self._collect(module, keyword.value, frame, sink.catalogue)
                return
        for position, argument in enumerate(node.args):
            if isinstance(argument, ast.Starred):
                if position == sink.index:
                    self._check_code_tuple_argument(module, argument, frame)
                    return
                break  # the code is somewhere in an unpacked value: cannot tell where
            if position == sink.index:
                self._collect(module, argument, frame, sink.catalogue)
                return
        raise self._error(
            module, node, f"cannot find the code argument of {ast.unparse(node.func)}"
        )

    def _check_code_tuple_argument(
        self, module: _Module, argument: ast.Starred, frame: _Frame | None
    ) -> None:
        """``findings.error(location, *parsed)``: *parsed* must hold what a code-tuple function
        returned (its codes are collected where that function builds them)."""
        values: list[ast.expr | None] = [None]
        if isinstance(argument.value, ast.Name):
            values = self._lookup(module, argument.value, frame) or [None]
        for value in values:
            callee = (
                self._callee(module, value.func, frame) if isinstance(value, ast.Call) else None
            )
            if callee is None or not _returns_code_tuples(self._definition(callee)):
                raise self._error(
                    module, argument, "a code unpacked from something not a code tuple"
                )

    # --- Codes ---------------------------------------------------------------------------

    def _collect(
        self, module: _Module, expression: ast.expr, frame: _Frame | None, catalogue: Catalogue
    ) -> None:
        """Collect the codes *expression* can be; a parameter passed on as it is makes its
        function a code-taking callable too."""
        if (
            frame is not None
            and isinstance(expression, ast.Name)
            and expression.id in frame.parameters()
            and expression.id not in frame.bindings
        ):
            self._add_sink(module, expression, frame, catalogue)
        else:
            self.codes[catalogue] |= self._strings(module, expression, frame)

    def _add_sink(
        self, module: _Module, name: ast.Name, frame: _Frame, catalogue: Catalogue
    ) -> None:
        if isinstance(frame.node, ast.Lambda) or frame.parent is not None:
            raise self._error(module, name, "a code passed on by a lambda or a nested function")
        positional = frame.positional()
        index = positional.index(name.id) if name.id in positional else None
        if index is None and name.id not in {arg.arg for arg in frame.node.args.kwonlyargs}:
            raise self._error(module, name, "a code passed on from *args or **kwargs")
        self.sinks.setdefault((module.name, frame.qualname), Sink(catalogue, index, name.id))

    def _strings(self, module: _Module, expression: ast.expr, frame: _Frame | None) -> set[str]:
        """Return every string *expression* can be; fail if that cannot be told."""
        if isinstance(expression, ast.Constant) and isinstance(expression.value, str):
            return {expression.value}
        if isinstance(expression, ast.IfExp):
            body = self._strings(module, expression.body, frame)
            return body | self._strings(module, expression.orelse, frame)
        parts: list[ast.expr] | None = None
        if isinstance(expression, ast.JoinedStr):
            parts = [self._formatted(module, part) for part in expression.values]
        elif isinstance(expression, ast.BinOp) and isinstance(expression.op, ast.Add):
            parts = [expression.left, expression.right]
        if parts is not None:
            choices = [self._strings(module, part, frame) for part in parts]
            return {"".join(product) for product in itertools.product(*choices)}
        if isinstance(expression, ast.Name):
            values = self._lookup(module, expression, frame)
            if values and None not in values:
                return set().union(
                    *(self._strings(module, value, frame) for value in values if value)
                )
        if isinstance(expression, ast.Attribute) and expression.attr == "code":
            # The code of a Problem, RegexFinding or Decision passed on: it was collected where
            # that value was built, which is a code position of its own.
            return set()
        raise self._error(
            module, expression, f"cannot list the codes {ast.unparse(expression)!r} can be"
        )

    def _formatted(self, module: _Module, part: ast.expr) -> ast.expr:
        if isinstance(part, ast.FormattedValue):
            if part.conversion != -1 or part.format_spec is not None:
                raise self._error(
                    module, part, "a code formatted with a conversion or a format spec"
                )
            return part.value
        return part

    def _lookup(
        self, module: _Module, name: ast.Name, frame: _Frame | None
    ) -> list[ast.expr | None]:
        """The values assigned to *name* where it is visible (None for a parameter, or a name
        bound some other way); empty for imports and builtins."""
        scope = frame
        while scope is not None:
            if name.id in scope.bindings or name.id in scope.parameters():
                parameter: list[ast.expr | None] = [None] if name.id in scope.parameters() else []
                return scope.bindings.get(name.id, []) + parameter
            scope = scope.parent
        return list(module.bindings.get(name.id, []))

    # --- Callees and receivers -----------------------------------------------------------

    def _definition(self, target: Target) -> ast.AST | None:
        module = self.modules.get(target[0])
        return None if module is None else module.definitions.get(target[1])

    def _callee(self, module: _Module, func: ast.expr, frame: _Frame | None) -> Target | None:
        """The package definition *func* names, or None for anything else."""
        if isinstance(func, ast.Name):
            return self._resolve(module, func, frame)
        if not isinstance(func, ast.Attribute):
            return None
        receiver = func.value
        if isinstance(receiver, ast.Name) and not self._is_local(receiver, frame):
            kind, value = module.imports.get(receiver.id, ("", ""))
            if kind == "module":
                return self._follow((str(value), func.attr))
        if not any(qualname.endswith(f".{func.attr}") for _, qualname in self.sinks):
            return None  # not the name of a code-taking method: no need to know the receiver
        for cls in self._types(module, receiver, frame):
            if (cls[0], f"{cls[1]}.{func.attr}") in self.sinks:
                return (cls[0], f"{cls[1]}.{func.attr}")
        return None

    @staticmethod
    def _is_local(name: ast.Name, frame: _Frame | None) -> bool:
        scope = frame
        while scope is not None:
            if name.id in scope.bindings or name.id in scope.parameters():
                return True
            scope = scope.parent
        return False

    def _resolve(self, module: _Module, name: ast.Name, frame: _Frame | None) -> Target | None:
        """The package definition a bare name refers to, or None (a local value, a builtin,
        something imported from elsewhere)."""
        scope = frame
        while scope is not None:
            if name.id in scope.parameters():
                return None
            if name.id in scope.bindings:
                nested = f"{scope.qualname}.{name.id}"
                return (module.name, nested) if nested in module.definitions else None
            scope = scope.parent
        if name.id in module.definitions:
            return (module.name, name.id)
        kind, value = module.imports.get(name.id, ("", ""))
        return self._follow(value) if kind == "symbol" and isinstance(value, tuple) else None

    def _follow(self, target: Target) -> Target:
        """Follow re-exports (``from wsgicors import Problem``) to the definition."""
        for _ in range(len(self.modules) + 1):
            module = self.modules.get(target[0])
            if module is None or target[1] in module.definitions:
                break
            kind, value = module.imports.get(target[1], ("", ""))
            if kind != "symbol" or not isinstance(value, tuple):
                break
            target = value
        return target

    def _types(self, module: _Module, receiver: ast.expr, frame: _Frame | None) -> set[Target]:
        """The package classes *receiver* can be an instance of (``OTHER`` for anything else)."""
        if isinstance(receiver, ast.Name):
            return self._name_types(module, receiver, frame)
        if isinstance(receiver, ast.Call):
            target = self._callee(module, receiver.func, frame)
            definition = self._definition(target) if target else None
            if isinstance(definition, ast.ClassDef) and target:
                return {target}
            if isinstance(definition, ast.FunctionDef) and definition.returns and target:
                return self._annotation_types(self.modules[target[0]], definition.returns)
            if target is None and self._is_foreign(module, receiver.func, frame):
                return {OTHER}
        if isinstance(receiver, ast.BoolOp | ast.IfExp):
            parts = (
                receiver.values
                if isinstance(receiver, ast.BoolOp)
                else [receiver.body, receiver.orelse]
            )
            return set().union(*(self._types(module, part, frame) for part in parts))
        if isinstance(receiver, ast.Constant):
            return {OTHER}
        raise self._error(module, receiver, f"cannot tell what {ast.unparse(receiver)!r} is")

    def _name_types(self, module: _Module, name: ast.Name, frame: _Frame | None) -> set[Target]:
        scope = frame
        while scope is not None:
            if name.id in scope.parameters():
                return self._parameter_types(module, name, scope)
            if name.id in scope.bindings:
                return self._assigned_types(module, scope.bindings[name.id], name, frame)
            scope = scope.parent
        kind, _ = module.imports.get(name.id, ("", ""))
        if kind in {"module", "foreign"}:
            return {OTHER}
        return self._assigned_types(module, module.bindings.get(name.id, [None]), name, frame)

    def _is_foreign(self, module: _Module, func: ast.expr, frame: _Frame | None) -> bool:
        """Whether *func* comes from outside the package (``logging.getLogger``, ``str``)."""
        while isinstance(func, ast.Attribute):
            func = func.value
        if not isinstance(func, ast.Name) or self._is_local(func, frame):
            return False
        kind, _ = module.imports.get(func.id, ("", ""))
        return kind == "foreign" or (not kind and hasattr(builtins, func.id))

    def _parameter_types(self, module: _Module, name: ast.Name, scope: _Frame) -> set[Target]:
        arguments = scope.node.args
        every = [*arguments.posonlyargs, *arguments.args, *arguments.kwonlyargs]
        if scope.method_of is not None and every[0].arg == name.id:
            return {(module.name, scope.method_of)}
        for arg in every:
            if arg.arg == name.id and arg.annotation is not None:
                return self._annotation_types(module, arg.annotation)
        raise self._error(module, name, f"cannot tell what {name.id!r} is: annotate the parameter")

    def _assigned_types(
        self, module: _Module, values: list[ast.expr | None], name: ast.Name, frame: _Frame | None
    ) -> set[Target]:
        types: set[Target] = set()
        for value in values:
            if value is None:
                raise self._error(
                    module, name, f"cannot tell what {name.id!r} is (not simply assigned)"
                )
            types |= self._types(module, value, frame)
        return types

    def _annotation_types(self, module: _Module, annotation: ast.expr) -> set[Target]:
        if isinstance(annotation, ast.Constant) and isinstance(annotation.value, str):
            annotation = ast.parse(annotation.value, mode="eval").body
        if isinstance(annotation, ast.BinOp) and isinstance(annotation.op, ast.BitOr):
            left = self._annotation_types(module, annotation.left)
            return left | self._annotation_types(module, annotation.right)
        if isinstance(annotation, ast.Constant) and annotation.value is None:
            return set()
        target = (
            self._resolve(module, annotation, None) if isinstance(annotation, ast.Name) else None
        )
        return {target} if target is not None and target[0] in self.modules else {OTHER}

    def _refuse_escape(
        self, module: _Module, node: ast.Name | ast.Attribute, frame: _Frame | None
    ) -> None:
        """A code-taking callable used as a value (``report = findings.error``) could be called
        where the collector cannot see the call."""
        if isinstance(node, ast.Name):
            if isinstance(node.ctx, ast.Load) and self._resolve(module, node, frame) in self.sinks:
                raise self._error(module, node, f"{node.id} used as a value, not called")
        elif self._callee(module, node, frame) in self.sinks:
            raise self._error(module, node, f"{ast.unparse(node)} used as a value, not called")

    @staticmethod
    def _error(module: _Module, node: ast.AST, message: str) -> UnresolvableCodeError:
        return UnresolvableCodeError(f"{module.name}:{getattr(node, 'lineno', '?')}: {message}")


def package_sources() -> dict[str, str]:
    """Every module of the package's source tree (an installed build may be compiled), by
    module name."""
    root = Path(wsgicors.__file__).parent
    sources = {}
    for path in sorted(root.rglob("*.py")):
        parts = path.relative_to(root.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        sources[name] = path.read_text(encoding="utf-8")
    return sources


@pytest.fixture(scope="module")
def emitted() -> dict[Catalogue, set[str]]:
    return CodeCollector(package_sources()).collect()


def test_decision_codes_are_exactly_those_the_package_emits(
    emitted: dict[Catalogue, set[str]],
) -> None:
    assert {
        "missing from DECISION_CODES": emitted["decision"] - set(DECISION_CODES),
        "never emitted": set(DECISION_CODES) - emitted["decision"],
    } == {"missing from DECISION_CODES": set(), "never emitted": set()}


def test_problem_codes_are_exactly_those_the_package_emits(
    emitted: dict[Catalogue, set[str]],
) -> None:
    assert {
        "missing from PROBLEM_CODES": emitted["problem"] - set(PROBLEM_CODES),
        "never emitted": set(PROBLEM_CODES) - emitted["problem"],
    } == {"missing from PROBLEM_CODES": set(), "never emitted": set()}


@pytest.mark.parametrize("catalogue", [DECISION_CODES, PROBLEM_CODES], ids=["decision", "problem"])
def test_catalogue_entries_are_codes_with_one_line_descriptions(catalogue: dict[str, str]) -> None:
    for code, description in catalogue.items():
        assert re.fullmatch(r"[a-z]+(-[a-z]+)*", code), code
        assert description.strip() == description, code
        assert description, code
        assert "\n" not in description, code


def recorded_code(case: Case) -> str:
    middleware, _ = case.build()
    return request(middleware, case.method, case.path, case.headers).decision.code


def test_every_decision_code_is_recorded_by_a_request() -> None:
    recorded = {recorded_code(case) for case in CASES}
    # Too many calls in one second cannot be one row of the table: a flood records it.
    recorded |= flood_codes()
    assert set(recorded) == set(DECISION_CODES)


# --- The collector itself, on small modules -------------------------------------------------


def collect(*lines: str) -> dict[Catalogue, set[str]]:
    """Collect the codes of the module ``wsgicors.sample`` made of *lines*."""
    return CodeCollector({"wsgicors.sample": "\n".join(lines)}).collect()


# The samples import the seeds from where they are defined, wherever that is.
PROBLEM = f"from {Problem.__module__} import Problem"
DECISION = f"from {Decision.__module__} import Decision"


def test_collector_follows_wrappers_conditionals_and_format_strings() -> None:
    # A relative import, as a module of the package would write it.
    relative = f"from .{Problem.__module__.removeprefix('wsgicors.')} import Problem"
    source = """


class Report:
    def error(self, location, code):
        self.items.append(Problem(location, code, "message", "hint"))


def refuse(code, *, reason):
    return Decision(None, "preflight", False, code, reason)


def check(report: "Report | None", strict: bool):
    level = "strict" if strict else "lax"
    report.error("here", f"{level}-thing")
    fallback = report or Report()
    fallback.error("there", code="keyword-" + "code")
    refuse("refused", reason="no")
"""
    assert collect(relative, DECISION, source) == {
        "decision": {"refused"},
        "problem": {"strict-thing", "lax-thing", "keyword-code"},
    }


def test_collector_reads_code_tuples_and_their_unpacking() -> None:
    source = """


class Findings:
    def error(self, location, code, message, hint):
        Problem(location, code, message, hint)


class Parsed:
    pass


def unpack(text) -> tuple[str, str, str]:
    return ("tuple-code", "message", text)


def parse(text) -> Parsed | tuple[str, str, str]:
    if text:
        return Parsed()
    if text is None:
        return unpack("hint")
    return ("other-tuple-code", "message", "hint")


def check(findings: Findings):
    parsed = parse("")
    findings.error("here", *parsed)
"""
    assert collect(PROBLEM, source) == {
        "decision": set(),
        "problem": {"tuple-code", "other-tuple-code"},
    }


FINDINGS = """


class Findings:
    def error(self, location, code):
        Problem(location, code, "message", "hint")
"""


@pytest.mark.parametrize(
    ("source", "complaint"),
    [
        pytest.param(
            "def f(text):\n    Problem('here', text.upper(), 'm', 'h')",
            "cannot list the codes 'text.upper()'",
            id="computed",
        ),
        pytest.param(
            "def f():\n    code = 'a'\n    code += 'b'\n    Problem('here', code, 'm', 'h')",
            "cannot list the codes 'code'",
            id="augmented",
        ),
        pytest.param("make = Problem", "Problem used as a value", id="escaped-class"),
        pytest.param(
            "def f(findings: Findings):\n    report = findings.error",
            "findings.error used as a value",
            id="escaped-method",
        ),
        pytest.param(
            "def f(findings):\n    findings.error('here', 'some-code')",
            "cannot tell what 'findings' is",
            id="unannotated-receiver",
        ),
        pytest.param("Problem('here')", "cannot find the code argument", id="missing"),
        pytest.param(
            "def f(findings: Findings):\n    findings.error('here', *('a', 'm', 'h'))",
            "unpacked from something not a code tuple",
            id="unpacked",
        ),
        pytest.param(
            "def f() -> tuple[str, str, str]:\n    result = ('a', 'm', 'h')\n    return result",
            "returns a non-tuple",
            id="code-tuple-by-name",
        ),
        pytest.param(
            "def g():\n    return ('a', 'm', 'h')\n\n"
            "def f() -> tuple[str, str, str]:\n    return g()",
            "returns what g returns, which is unchecked",
            id="code-tuple-from-unannotated-function",
        ),
        pytest.param("emit(code='a')", "code= passed to emit", id="unknown-keyword"),
        pytest.param(
            "make = lambda code: Problem('here', code, 'm', 'h')",
            "passed on by a lambda",
            id="lambda",
        ),
        pytest.param(
            "def f(*args):\n    Problem('here', *args)",
            "unpacked from something not a code tuple",
            id="star-args",
        ),
    ],
)
def test_collector_refuses_what_it_cannot_list(source: str, complaint: str) -> None:
    with pytest.raises(UnresolvableCodeError, match=re.escape(complaint)):
        collect(PROBLEM, FINDINGS, source)
