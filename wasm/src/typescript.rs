//! Hand-written TypeScript declarations for every value that crosses the boundary, so the
//! generated `.d.ts` has real types (no `any`) for commands, events, views and errors.

use wasm_bindgen::prelude::*;

#[wasm_bindgen(typescript_custom_section)]
const TYPES: &'static str = include_str!("types.d.ts");

#[wasm_bindgen]
extern "C" {
    /// An optional options object; declared as an imported type so the parameter keeps its
    /// `?` in the declarations (an unchecked parameter type would make it required).
    #[wasm_bindgen(typescript_type = "GetOrderOptions")]
    pub type GetOrderOptionsArg;

    #[wasm_bindgen(typescript_type = "ListOrdersOptions")]
    pub type ListOrdersOptionsArg;

    /// An optional number, checked in Rust (the generated glue would throw a `TypeError`
    /// on a BigInt before our code could name the problem).
    #[wasm_bindgen(typescript_type = "number")]
    pub type NumberArg;
}
