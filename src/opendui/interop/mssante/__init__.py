"""MSSanté secure messaging. `xdm.py`: the IHE_XDM.ZIP archives a message carries."""
