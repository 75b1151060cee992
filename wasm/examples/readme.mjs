import { OrderEngine } from "order-wasm";
const shop = new OrderEngine();
const { orderId } = shop.createOrder({ customerId: "customer-123" });
shop.addItem({ orderId, productId: "product-456", quantity: 2, price: "29.99" });
shop.addItem({ orderId, productId: "product-789", quantity: 1, price: "49.99" });
shop.placeOrder({ orderId });
console.log(shop.getOrder(orderId).total); // 109.97
