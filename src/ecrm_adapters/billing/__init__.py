"""Gateways to the billing system (ORD-3): ``BillingGateway`` of ``ecrm_core.orders.ports``
over an HTTP endpoint (``http.HttpBilling``), a drop folder (``filedrop.FileDropBilling``)
or nothing (``unconfigured.UnconfiguredBilling``)."""
