;; pricing.wat: a component that imports an interface the embedder implements in Java
;; (HostFunctionExample) and exports gross-cents(net) = net + tax-cents(net).
(component
  (import "example:shop/pricing@1.0.0" (instance $pricing
    (export "tax-cents" (func (param "net-cents" u64) (result u64)))))

  (core module $m
    (import "pricing" "tax-cents" (func $tax (param i64) (result i64)))
    (func (export "gross-cents") (param $net i64) (result i64)
      (i64.add (local.get $net) (call $tax (local.get $net)))))

  (core func $tax (canon lower (func $pricing "tax-cents")))
  (core instance $i (instantiate $m
    (with "pricing" (instance (export "tax-cents" (func $tax))))))
  (func (export "gross-cents") (param "net-cents" u64) (result u64)
    (canon lift (core func $i "gross-cents")))
)
