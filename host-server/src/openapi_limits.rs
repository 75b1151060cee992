//! The input limits the server enforces, written into `/openapi.json` from the very
//! constants that enforce them (utoipa's attributes take only literals), so that clients
//! and schemathesis see the real bounds and the two cannot drift apart.

use order_core::limits::{MAX_ID_LEN, MAX_LINE_QUANTITY, MAX_REASON_LEN, MAX_UNIT_PRICE};
use utoipa::openapi::request_body::RequestBody;
use utoipa::openapi::schema::SchemaType;
use utoipa::openapi::schema::{
    ArrayBuilder, KnownFormat, ObjectBuilder, OneOfBuilder, Schema, SchemaFormat, Type,
};
use utoipa::openapi::{OpenApi, RefOr, Required};
use utoipa::Modify;

use crate::auth::claims::MAX_CLAIM_LEN;
use crate::extract::MAX_HEADER_ID_LEN;
use crate::routes::queries::MAX_PAGE;
use crate::routes::sync::MAX_SYNC_COMMANDS;

/// The request bodies whose fields are bounded by name below. Response schemas are left
/// as they are: what the server wrote once stays readable whatever the limits become.
const REQUEST_SCHEMAS: &[&str] = &[
    "CreateOrder",
    "AddItem",
    "CommandOptions",
    "CancelOrder",
    "DevTokenRequest",
];

/// No control character (`char::is_control`, Unicode Cc) and at least one non-space:
/// `check_id` in the core.
const ID_PATTERN: &str = r"^[^\u0000-\u001f\u007f-\u009f]*[^\s\u0000-\u001f\u007f-\u009f][^\u0000-\u001f\u007f-\u009f]*$";
/// Header values are visible ASCII; the server trims the spaces around them.
const HEADER_ID_PATTERN: &str = r"^[!-~]([ -~]*[!-~])?$";
/// A stream version, bare or as an entity tag (`3`, `"3"`, `W/"3"`).
const IF_MATCH_PATTERN: &str = r#"^(W/)?("[0-9]{1,19}"|[0-9]{1,19})$"#;
/// The canonical decimal text of a price; the server also reads a sign, leading zeros
/// and trailing zeros ("+007.50"), which this leaves out.
const PRICE_PATTERN: &str = r"^(0|[1-9][0-9]*)(\.[0-9]{1,2})?$";

pub struct InputLimits;

impl Modify for InputLimits {
    fn modify(&self, openapi: &mut OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        for name in REQUEST_SCHEMAS {
            if let Some(RefOr::T(Schema::Object(object))) = components.schemas.get_mut(*name) {
                for (field, schema) in object.properties.iter_mut() {
                    if let Some(limited) = body_field(name, field) {
                        *schema = keeping_description(schema, limited);
                    }
                }
            }
        }
        components
            .schemas
            .insert("SyncCommand".into(), sync_command());
        for item in openapi.paths.paths.values_mut() {
            let operations = [
                &mut item.get,
                &mut item.post,
                &mut item.put,
                &mut item.delete,
                &mut item.patch,
            ];
            for operation in operations.into_iter().flatten() {
                if let Some(RefOr::T(body)) = &mut operation.request_body {
                    absent_not_null(body);
                }
                for parameter in operation.parameters.iter_mut().flatten() {
                    if let RefOr::T(parameter) = parameter {
                        if let Some(limited) = parameter_schema(&parameter.name) {
                            parameter.schema = Some(limited);
                        }
                    }
                }
            }
        }
        let batch = openapi
            .paths
            .paths
            .get_mut("/commands")
            .and_then(|item| item.post.as_mut())
            .and_then(|post| post.request_body.as_mut());
        if let Some(RefOr::T(body)) = batch {
            for content in body.content.values_mut() {
                if let RefOr::T(content) = content {
                    content.schema = Some(
                        ArrayBuilder::new()
                            .items(RefOr::Ref(utoipa::openapi::Ref::from_schema_name(
                                "SyncCommand",
                            )))
                            .max_items(Some(MAX_SYNC_COMMANDS))
                            .build()
                            .into(),
                    );
                }
            }
        }
    }
}

/// The bounded schema, with the field's own description (what it means) when it had one.
fn keeping_description(old: &RefOr<Schema>, mut new: RefOr<Schema>) -> RefOr<Schema> {
    let described = match old {
        RefOr::T(Schema::Object(object)) => object.description.clone(),
        _ => None,
    };
    if let (Some(text), RefOr::T(Schema::Object(object))) = (described, &mut new) {
        object.description = Some(text);
    }
    new
}

/// utoipa writes an optional body (`Option<T>`) as "T or null", but the server takes a
/// missing body as `{}` and refuses a JSON `null` (400): say "T, and the body may be left out".
fn absent_not_null(body: &mut RequestBody) {
    let is_null = |item: &RefOr<Schema>| matches!(item, RefOr::T(Schema::Object(o)) if o.schema_type == SchemaType::Type(Type::Null));
    let mut optional = false;
    for content in body.content.values_mut() {
        let RefOr::T(content) = content else { continue };
        let Some(RefOr::T(Schema::OneOf(one_of))) = &content.schema else {
            continue;
        };
        let kept = match one_of.items.as_slice() {
            [item, null] | [null, item] if is_null(null) && !is_null(item) => item.clone(),
            _ => continue,
        };
        content.schema = Some(kept);
        optional = true;
    }
    if optional {
        body.required = Some(Required::False);
    }
}

fn body_field(schema: &str, field: &str) -> Option<RefOr<Schema>> {
    Some(match (schema, field) {
        // A token's subject and customer are claims, bounded as claims are.
        ("DevTokenRequest", "sub" | "customerId") => text(MAX_CLAIM_LEN, 1),
        (_, "orderId" | "customerId" | "productId") => id(),
        (_, "commandId") => header_id(),
        (_, "quantity") => quantity(),
        (_, "price") => price(),
        (_, "reason") => text(MAX_REASON_LEN, 0),
        (_, "issuedAt") => date_time(),
        (_, "roles") => ArrayBuilder::new()
            .items(
                ObjectBuilder::new()
                    .schema_type(Type::String)
                    .enum_values(Some(["customer", "clerk", "admin"])),
            )
            .min_items(Some(1))
            .build()
            .into(),
        _ => return None,
    })
}

fn parameter_schema(name: &str) -> Option<RefOr<Schema>> {
    Some(match name {
        "id" | "productId" | "customerId" => id(),
        "Idempotency-Key" => header_id(),
        "If-Match" => string(0, None, Some(IF_MATCH_PATTERN), None),
        "at" => date_time(),
        "limit" => integer(1, MAX_PAGE as u64),
        "quantity" => quantity(),
        _ => return None,
    })
}

/// `{commandId, type, ...}`: one command of a `POST /commands` batch, as the core decodes it.
fn sync_command() -> RefOr<Schema> {
    let command = |kind: &str, fields: &[(&str, RefOr<Schema>, bool)]| {
        let mut object = ObjectBuilder::new()
            .schema_type(Type::Object)
            .property(
                "type",
                ObjectBuilder::new()
                    .schema_type(Type::String)
                    .enum_values(Some([kind])),
            )
            .required("type")
            .property("commandId", header_id())
            .required("commandId")
            .property("orderId", id())
            .required("orderId")
            .property(
                "expectedVersion",
                ObjectBuilder::new()
                    .schema_type(Type::Integer)
                    .minimum(Some(0)),
            )
            .property("issuedAt", date_time());
        for (field, schema, required) in fields {
            object = object.property(*field, schema.clone());
            if *required {
                object = object.required(*field);
            }
        }
        object.build()
    };
    OneOfBuilder::new()
        .description(Some(
            "One queued command: `{commandId, type, ...the command's fields, expectedVersion?, \
             issuedAt?}`.",
        ))
        .item(command("CreateOrder", &[("customerId", id(), true)]))
        .item(command(
            "AddItem",
            &[
                ("productId", id(), true),
                ("quantity", quantity(), true),
                ("price", price(), true),
            ],
        ))
        .item(command(
            "RemoveItem",
            &[("productId", id(), true), ("quantity", quantity(), false)],
        ))
        .item(command("PlaceOrder", &[]))
        .item(command(
            "CancelOrder",
            &[("reason", text(MAX_REASON_LEN, 0), false)],
        ))
        .into()
}

/// RFC 3339, which is JSON Schema's date-time: `?at=` and a command's `issuedAt` (the
/// window it must fall in is relative to the server's clock, so no schema can state it).
fn date_time() -> RefOr<Schema> {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .format(Some(SchemaFormat::KnownFormat(KnownFormat::DateTime)))
        .build()
        .into()
}

/// A string of `min_length` (left out when 0) up to `max_length` characters.
fn string(
    min_length: usize,
    max_length: Option<usize>,
    pattern: Option<&str>,
    description: Option<String>,
) -> RefOr<Schema> {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .min_length((min_length > 0).then_some(min_length))
        .max_length(max_length)
        .pattern(pattern)
        .description(description)
        .build()
        .into()
}

/// An order, customer or product id (the core counts bytes; JSON Schema counts
/// characters, so a non-ASCII id may be refused below this length).
fn id() -> RefOr<Schema> {
    let rule = format!("1 to {MAX_ID_LEN} bytes of UTF-8, no control characters, not blank");
    string(1, Some(MAX_ID_LEN), Some(ID_PATTERN), Some(rule))
}

fn header_id() -> RefOr<Schema> {
    string(1, Some(MAX_HEADER_ID_LEN), Some(HEADER_ID_PATTERN), None)
}

fn text(max_bytes: usize, min_length: usize) -> RefOr<Schema> {
    let rule = format!("at most {max_bytes} bytes of UTF-8");
    string(min_length, Some(max_bytes), None, Some(rule))
}

fn integer(minimum: u64, maximum: u64) -> RefOr<Schema> {
    ObjectBuilder::new()
        .schema_type(Type::Integer)
        .minimum(Some(minimum))
        .maximum(Some(maximum))
        .build()
        .into()
}

fn quantity() -> RefOr<Schema> {
    integer(1, u64::from(MAX_LINE_QUANTITY))
}

/// A JSON number or a decimal string, from 0 to the price limit, at most 2 decimals.
fn price() -> RefOr<Schema> {
    let max_cents = MAX_UNIT_PRICE.cents();
    OneOfBuilder::new()
        .item(
            ObjectBuilder::new()
                .schema_type(Type::Number)
                .minimum(Some(0))
                .maximum(Some(max_cents as f64 / 100.0))
                .multiple_of(Some(0.01)),
        )
        .item(string(
            1,
            Some(max_cents.to_string().len() + 1),
            Some(PRICE_PATTERN),
            None,
        ))
        .description(Some(format!(
            "From 0 to {MAX_UNIT_PRICE}, at most 2 decimals: a JSON number (read from its exact text) or a decimal string"
        )))
        .into()
}

#[cfg(test)]
mod tests {
    use serde_json::Value;
    use utoipa::OpenApi as _;

    use super::REQUEST_SCHEMAS;
    use crate::openapi::ApiDoc;

    /// Every string a request carries, in a body or as a parameter, has a stated bound, so
    /// a schema renamed or a field added without one fails here rather than going unbounded
    /// in the document.
    #[test]
    fn every_string_a_request_carries_is_bounded() {
        let doc = serde_json::to_value(ApiDoc::openapi()).unwrap();
        let schemas = &doc["components"]["schemas"];
        let mut strings = Vec::new();
        for name in REQUEST_SCHEMAS.iter().chain(&["SyncCommand"]) {
            let schema = &schemas[*name];
            assert!(schema.is_object(), "no schema {name}");
            let variants = schema["oneOf"].as_array().cloned();
            for variant in variants.unwrap_or_else(|| vec![schema.clone()]) {
                for (field, property) in variant["properties"].as_object().unwrap() {
                    strings.push((format!("{name}.{field}"), property.clone()));
                }
            }
        }
        for (path, item) in doc["paths"].as_object().unwrap() {
            for (method, operation) in item.as_object().unwrap() {
                for parameter in operation["parameters"].as_array().into_iter().flatten() {
                    let name = format!("{method} {path} {}", parameter["name"]);
                    strings.push((name, parameter["schema"].clone()));
                }
            }
        }
        // Cursors and timestamps are parsed, not stored as sent: their size does not matter.
        let exempt = ["\"after\"", "\"at\"", ".issuedAt"];
        let mut checked = 0;
        for (name, schema) in strings {
            let alternatives = schema["oneOf"].as_array().cloned().unwrap_or(vec![schema]);
            for alternative in alternatives {
                if alternative["type"] != "string" || exempt.iter().any(|e| name.ends_with(e)) {
                    continue;
                }
                checked += 1;
                let bounded = alternative["maxLength"].is_u64()
                    || alternative["enum"].is_array()
                    || alternative["pattern"]
                        .as_str()
                        .is_some_and(|p| p.contains("{1,19}"));
                assert!(bounded, "{name} is an unbounded string: {alternative}");
            }
        }
        assert!(checked > 20, "only {checked} strings found");
        assert_eq!(
            schemas["AddItem"]["properties"]["quantity"]["type"],
            Value::from("integer")
        );
    }
}
