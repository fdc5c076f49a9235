"""shelf: a keyboard-driven terminal console to bulk list (上架) and delist (下架) items
on Taobao/Tmall, Mercado Libre and Temu."""

__version__ = "0.1.0"
