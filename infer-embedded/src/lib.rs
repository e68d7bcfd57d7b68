//! no_std, no-alloc inference of ffn models borrowed from flash.
#![no_std]
