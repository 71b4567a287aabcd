"""The DMP (Mon espace santé): CDA R2 documents, the DMPi SOAP client, its simulator.

`document.py` is the contract between the parts: the Django side (services, jobs) builds a
`DmpDocument` from the record; `cda.py` turns it into the CDA R2 XML, `xds.py` into the XDS
metadata, `client.py` sends both; `simulator.py` is the loopback DMP of the demo and tests.
"""
