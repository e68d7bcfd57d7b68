//! Reading a host file over Arm semihosting (SYS_OPEN, SYS_READ, SYS_CLOSE),
//! so the test samples need no flash: a 256 KiB part holds the model only.

use cortex_m_semihosting::syscall;

const SYS_OPEN: usize = 0x01;
const SYS_CLOSE: usize = 0x02;
const SYS_READ: usize = 0x06;
/// `fopen` mode "rb".
const MODE_READ_BINARY: usize = 1;

pub struct HostFile(usize);

impl HostFile {
    /// Opens `name` (relative to QEMU's working directory) for reading.
    pub fn open(name: &str) -> Option<HostFile> {
        // Zeroed; a name of 64 bytes or more is refused, so it stays NUL-terminated.
        let mut path = [0u8; 64];
        let bytes = name.as_bytes();
        if bytes.len() >= path.len() {
            return None;
        }
        path.get_mut(..bytes.len())?.copy_from_slice(bytes);
        let block = [path.as_ptr() as usize, MODE_READ_BINARY, bytes.len()];
        // SAFETY: SYS_OPEN reads the NUL-terminated name and the block, both alive across the call.
        let handle = unsafe { syscall(SYS_OPEN, &block) } as isize;
        (handle >= 0).then_some(HostFile(handle as usize))
    }

    /// Fills `buf` completely; false at the end of the file (or a short read).
    pub fn read_exact(&mut self, buf: &mut [u8]) -> bool {
        let block = [self.0, buf.as_mut_ptr() as usize, buf.len()];
        // SAFETY: SYS_READ writes at most buf.len() bytes into buf; returns the bytes NOT read.
        let not_read = unsafe { syscall(SYS_READ, &block) };
        not_read == 0
    }
}

impl Drop for HostFile {
    fn drop(&mut self) {
        let block = [self.0];
        // SAFETY: closes the handle SYS_OPEN gave; the block lives across the call.
        unsafe { syscall(SYS_CLOSE, &block) };
    }
}
