"""Customer orders (ORD-1…ORD-3): an order of a service package, equipment and works
priced from the price list; its connection estimate approved along a route of approvers;
the data handed to the billing system once the order goes to connection."""
