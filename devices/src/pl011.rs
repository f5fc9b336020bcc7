//! ARM PrimeCell UART (PL011), as its Technical Reference Manual (DDI 0183) defines it.
//! (Being written: see the devices issue.)
