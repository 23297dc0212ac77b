//! A component's imports and exported functions, with their WIT types, in one call.
//!
//! The stock C API walks types a node at a time: a downcall per import, export, parameter, field
//! and case. From the JVM each distinct native signature costs a linked stub on first use, so a
//! process's first component load spent ~100 ms linking stubs for the type walk alone. One call
//! that writes the whole description into a byte vector needs one stub.
//!
//! The encoding is described in `include/wassette.h` (`wassette_component_describe`).

use wasmtime::component::Component;
use wasmtime::component::types::{ComponentFunc, ComponentItem, Type};
use wasmtime_c_api::{wasm_byte_vec_t, wasmtime_component_t};

/// Version of the encoding, its first byte.
const FORMAT: u8 = 1;
/// A type kind the encoding has no code for (as the C API's valtype codes), followed by its name.
const UNSUPPORTED: u8 = 0xff;

/// Writes the description of `component` into `out` (owned by the caller, freed with `wasm_byte_vec_delete`).
#[unsafe(no_mangle)]
pub extern "C" fn wassette_component_describe(component: &wasmtime_component_t, out: &mut wasm_byte_vec_t) {
    // `wasmtime_component_t` is `#[repr(transparent)]` over `Component`.
    let component = unsafe { &*(component as *const wasmtime_component_t as *const Component) };
    out.set_buffer(describe(component));
}

fn describe(component: &Component) -> Vec<u8> {
    let engine = component.engine();
    let ty = component.component_type();
    let mut w = Writer(Vec::with_capacity(1024));
    w.u8(FORMAT);

    let imports = ty.imports(engine);
    w.count(imports.len());
    for (name, import) in imports {
        w.str(name);
        w.u8(item_kind(&import.ty));
        let types_only = match &import.ty {
            ComponentItem::ComponentInstance(instance) => {
                instance.exports(engine).all(|(_, member)| matches!(member.ty, ComponentItem::Type(_)))
            }
            _ => false,
        };
        w.u8(types_only as u8);
    }

    // Functions at world level, and one level down in exported interface instances; written as
    // they are found (their names borrow from the instance types), counted, then appended.
    let mut functions = Writer(Vec::with_capacity(1024));
    let mut count = 0;
    for (name, export) in ty.exports(engine) {
        match export.ty {
            ComponentItem::ComponentFunc(func) => {
                functions.function(None, name, &func);
                count += 1;
            }
            ComponentItem::ComponentInstance(instance) => {
                for (member, export) in instance.exports(engine) {
                    if let ComponentItem::ComponentFunc(func) = export.ty {
                        functions.function(Some(name), member, &func);
                        count += 1;
                    }
                }
            }
            _ => {}
        }
    }
    w.count(count);
    w.0.extend_from_slice(&functions.0);
    w.0
}

/// The C API's `WASMTIME_COMPONENT_ITEM_*` code of an item.
fn item_kind(item: &ComponentItem) -> u8 {
    match item {
        ComponentItem::Component(_) => 0,
        ComponentItem::ComponentInstance(_) => 1,
        ComponentItem::Module(_) => 2,
        ComponentItem::ComponentFunc(_) => 3,
        ComponentItem::Resource(_) => 4,
        ComponentItem::CoreFunc(_) => 5,
        ComponentItem::Type(_) => 6,
    }
}

struct Writer(Vec<u8>);

impl Writer {
    fn u8(&mut self, value: u8) {
        self.0.push(value);
    }

    fn count(&mut self, n: usize) {
        self.0.extend_from_slice(&u32::try_from(n).expect("a count above u32 in a validated component").to_le_bytes());
    }

    fn str(&mut self, s: &str) {
        self.count(s.len());
        self.0.extend_from_slice(s.as_bytes());
    }

    fn function(&mut self, interface: Option<&str>, name: &str, func: &ComponentFunc) {
        match interface {
            Some(interface) => {
                self.u8(1);
                self.str(interface);
            }
            None => self.u8(0),
        }
        self.str(name);
        let params = func.params();
        self.count(params.len());
        for (param, ty) in params {
            self.str(param);
            self.ty(&ty);
        }
        self.optional(func.results().next().as_ref());
    }

    fn optional(&mut self, ty: Option<&Type>) {
        match ty {
            Some(ty) => {
                self.u8(1);
                self.ty(ty);
            }
            None => self.u8(0),
        }
    }

    /// A type as its `WASMTIME_COMPONENT_VALTYPE_*` code, then what it is made of.
    fn ty(&mut self, ty: &Type) {
        match ty {
            Type::Bool => self.u8(0),
            Type::S8 => self.u8(1),
            Type::S16 => self.u8(2),
            Type::S32 => self.u8(3),
            Type::S64 => self.u8(4),
            Type::U8 => self.u8(5),
            Type::U16 => self.u8(6),
            Type::U32 => self.u8(7),
            Type::U64 => self.u8(8),
            Type::Float32 => self.u8(9),
            Type::Float64 => self.u8(10),
            Type::Char => self.u8(11),
            Type::String => self.u8(12),
            Type::List(list) => {
                self.u8(13);
                self.ty(&list.ty());
            }
            Type::Record(record) => {
                self.u8(14);
                let fields = record.fields();
                self.count(fields.len());
                for field in fields {
                    self.str(field.name);
                    self.ty(&field.ty);
                }
            }
            Type::Tuple(tuple) => {
                self.u8(15);
                let types = tuple.types();
                self.count(types.len());
                for ty in types {
                    self.ty(&ty);
                }
            }
            Type::Variant(variant) => {
                self.u8(16);
                let cases = variant.cases();
                self.count(cases.len());
                for case in cases {
                    self.str(case.name);
                    self.optional(case.ty.as_ref());
                }
            }
            Type::Enum(enumeration) => {
                self.u8(17);
                self.names(enumeration.names());
            }
            Type::Option(option) => {
                self.u8(18);
                self.ty(&option.ty());
            }
            Type::Result(result) => {
                self.u8(19);
                self.optional(result.ok().as_ref());
                self.optional(result.err().as_ref());
            }
            Type::Flags(flags) => {
                self.u8(20);
                self.names(flags.names());
            }
            Type::Own(_) => self.u8(21),
            Type::Borrow(_) => self.u8(22),
            Type::Future(_) => self.u8(23),
            Type::Stream(_) => self.u8(24),
            Type::ErrorContext => self.u8(25),
            Type::Map(map) => {
                self.u8(26);
                self.ty(&map.key());
                self.ty(&map.value());
            }
            Type::FixedLengthList(_) => {
                self.u8(UNSUPPORTED);
                self.str("fixed-length list");
            }
        }
    }

    fn names<'a>(&mut self, names: impl ExactSizeIterator<Item = &'a str>) {
        self.count(names.len());
        for name in names {
            self.str(name);
        }
    }
}
