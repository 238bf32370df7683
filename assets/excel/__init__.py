"""Excel toolkit: styles, row heights and the streaming writer every stiplan workbook is written with."""
