"""A JSON Schema checker for the few keywords our schemas use, mirrored by web/js/schema.js.

Not a general validator (no jsonschema package is needed, on the server or in the page): type,
required, properties, additionalProperties, items, minItems, maxItems, minLength and minimum. The first
problem found is returned as a sentence that names the field by its path ("preprocessing.input_size").
"""

TYPES = {
    "object": lambda value: isinstance(value, dict),
    "array": lambda value: isinstance(value, list),
    "string": lambda value: isinstance(value, str),
    "integer": lambda value: isinstance(value, int) and not isinstance(value, bool),
    "number": lambda value: isinstance(value, (int, float)) and not isinstance(value, bool),
    "boolean": lambda value: isinstance(value, bool),
    "null": lambda value: value is None,
}


def schema_problem(value, schema: dict, path: str = "") -> str | None:
    """What is wrong with value against schema, or None."""
    named = f'"{path}"' if path else "it"
    allowed = schema.get("type")
    allowed = [allowed] if isinstance(allowed, str) else allowed
    if allowed and not any(TYPES[kind](value) for kind in allowed):
        return f"{named} must be {' or '.join(allowed)}, not {type_name(value)}"
    if isinstance(value, dict):
        return object_problem(value, schema, path)
    if isinstance(value, list):
        return array_problem(value, schema, path, named)
    if isinstance(value, str) and len(value) < schema.get("minLength", 0):
        return f"{named} must not be empty" if schema["minLength"] == 1 else \
            f"{named} must have at least {schema['minLength']} characters"
    if TYPES["number"](value) and "minimum" in schema and value < schema["minimum"]:
        return f"{named} must be at least {schema['minimum']}, not {value}"
    return None


def object_problem(value: dict, schema: dict, path: str) -> str | None:
    for key in schema.get("required", []):
        if key not in value:
            return f'"{joined(path, key)}" is missing'
    properties, others = schema.get("properties", {}), schema.get("additionalProperties", True)
    for key, item in value.items():
        below = properties.get(key, others)
        if below is False:
            return f'"{joined(path, key)}" is not allowed here'
        problem = schema_problem(item, below, joined(path, key)) if isinstance(below, dict) else None
        if problem:
            return problem
    return None


def array_problem(value: list, schema: dict, path: str, named: str) -> str | None:
    if len(value) < schema.get("minItems", 0):
        return f"{named} must have at least {schema['minItems']} items, not {len(value)}"
    if len(value) > schema.get("maxItems", len(value)):
        return f"{named} must have at most {schema['maxItems']} items, not {len(value)}"
    for number, item in enumerate(value):
        problem = schema_problem(item, schema.get("items", {}), f"{path}[{number}]")
        if problem:
            return problem
    return None


def joined(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def type_name(value) -> str:
    """The JSON name of a value's type."""
    return next(kind for kind in ("null", "boolean", "integer", "number", "string", "array", "object")
                if TYPES[kind](value))
