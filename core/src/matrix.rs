//! Views of matrices in flat `f32` buffers: a block of rows and columns
//! with its strides, as matrixmultiply takes its operands.
//!
//! The parts of a split training step write interleaved blocks of one
//! buffer at the same time (one part's columns of every row lie between the
//! other's), so a view is a pointer with its extent, never a slice over the
//! whole block: it hands out one row at a time, and only its own columns.
//! The safe constructors take slices (and check the extent against them);
//! the raw ones are for the step plans, which cut one buffer between
//! threads.

use core::marker::PhantomData;
use core::ops::Range;
use core::ptr::NonNull;

/// One past the last element a `rows × cols` view with these strides reaches.
fn reach(rows: usize, cols: usize, row_stride: usize, col_stride: usize) -> usize {
    if rows == 0 || cols == 0 { 0 } else { (rows - 1) * row_stride + (cols - 1) * col_stride + 1 }
}

/// A read-only `rows × cols` view: element `(i, j)` is
/// `data[i·row_stride + j·col_stride]`.
#[derive(Clone, Copy)]
pub struct MatRef<'a> {
    ptr: NonNull<f32>,
    rows: usize,
    cols: usize,
    row_stride: usize,
    col_stride: usize,
    life: PhantomData<&'a [f32]>,
}

// SAFETY: a `MatRef` is a shared borrow of `f32`s, like `&[f32]`.
unsafe impl Send for MatRef<'_> {}
// SAFETY: as above.
unsafe impl Sync for MatRef<'_> {}

impl<'a> MatRef<'a> {
    /// A row-major view of `data`: `rows × cols`, rows `row_stride` apart.
    ///
    /// # Panics
    /// If the view reaches beyond `data`.
    pub fn new(data: &'a [f32], rows: usize, cols: usize, row_stride: usize) -> Self {
        Self::strided(data, rows, cols, row_stride, 1)
    }

    /// A view of `data` with any strides (a transposed matrix has a row stride of 1).
    ///
    /// # Panics
    /// If the view reaches beyond `data`.
    pub fn strided(data: &'a [f32], rows: usize, cols: usize, row_stride: usize, col_stride: usize) -> Self {
        assert!(reach(rows, cols, row_stride, col_stride) <= data.len(), "matrix view beyond its buffer");
        let ptr = NonNull::new(data.as_ptr().cast_mut()).unwrap_or(NonNull::dangling());
        MatRef { ptr, rows, cols, row_stride, col_stride, life: PhantomData }
    }

    /// `data` as one row.
    pub fn row_of(data: &'a [f32]) -> Self {
        Self::new(data, 1, data.len(), data.len())
    }

    /// # Safety
    /// Every element the view reaches is valid for reads and not written by
    /// anyone while the view (or anything derived from it) is used, during `'a`.
    pub unsafe fn from_raw(ptr: *const f32, rows: usize, cols: usize, row_stride: usize, col_stride: usize) -> Self {
        let ptr = NonNull::new(ptr.cast_mut()).unwrap_or(NonNull::dangling());
        MatRef { ptr, rows, cols, row_stride, col_stride, life: PhantomData }
    }

    pub fn rows(&self) -> usize {
        self.rows
    }

    pub fn cols(&self) -> usize {
        self.cols
    }

    pub fn row_stride(&self) -> usize {
        self.row_stride
    }

    pub fn col_stride(&self) -> usize {
        self.col_stride
    }

    pub fn as_ptr(&self) -> *const f32 {
        self.ptr.as_ptr()
    }

    /// Rows `rows` and columns `cols` of this view.
    ///
    /// # Panics
    /// If the block is not inside the view.
    pub fn block(self, rows: Range<usize>, cols: Range<usize>) -> Self {
        assert!(rows.start <= rows.end && rows.end <= self.rows && cols.start <= cols.end && cols.end <= self.cols);
        let offset = if rows.is_empty() || cols.is_empty() {
            0
        } else {
            rows.start * self.row_stride + cols.start * self.col_stride
        };
        // SAFETY: inside this view (asserted), so inside its allocation.
        let ptr = unsafe { NonNull::new_unchecked(self.ptr.as_ptr().add(offset)) };
        MatRef { ptr, rows: rows.len(), cols: cols.len(), ..self }
    }

    /// Rows `rows`, every column.
    pub fn rows_of(self, rows: Range<usize>) -> Self {
        let cols = self.cols;
        self.block(rows, 0..cols)
    }

    /// Columns `cols`, every row.
    pub fn cols_of(self, cols: Range<usize>) -> Self {
        let rows = self.rows;
        self.block(0..rows, cols)
    }

    /// Element `(i, j)`.
    ///
    /// # Panics
    /// If `(i, j)` is outside the view.
    pub fn at(&self, i: usize, j: usize) -> f32 {
        assert!(i < self.rows && j < self.cols, "element ({i}, {j}) of a {}×{} view", self.rows, self.cols);
        // SAFETY: inside the view, readable for `'a`.
        unsafe { *self.ptr.as_ptr().add(i * self.row_stride + j * self.col_stride) }
    }

    /// The transpose (the same elements, strides swapped).
    pub fn t(self) -> Self {
        MatRef { rows: self.cols, cols: self.rows, row_stride: self.col_stride, col_stride: self.row_stride, ..self }
    }

    /// Whether the rows follow each other with no gap (the block is one run of memory).
    pub fn is_contiguous(&self) -> bool {
        self.col_stride == 1 && (self.rows <= 1 || self.row_stride == self.cols)
    }

    /// Row `i` (of a view with unit column stride).
    ///
    /// # Panics
    /// If `i` is out of range or the columns are not adjacent.
    pub fn row(&self, i: usize) -> &'a [f32] {
        assert!(i < self.rows && self.col_stride == 1, "row {i} of a {}-row view", self.rows);
        // SAFETY: row `i`'s `cols` elements lie inside the view, readable for `'a`.
        unsafe { core::slice::from_raw_parts(self.ptr.as_ptr().add(i * self.row_stride), self.cols) }
    }

    /// This view as a single row when it is contiguous and `flat`: element-wise
    /// kernels then run one long loop instead of one per row.
    pub fn flat_if(self, flat: bool) -> Self {
        if flat && self.is_contiguous() && self.rows > 1 {
            let len = self.rows * self.cols;
            return MatRef { rows: 1, cols: len, row_stride: len, ..self };
        }
        self
    }
}

/// A writable row-major `rows × cols` view: row `i` starts `i·row_stride`
/// after the first element.
pub struct MatMut<'a> {
    ptr: NonNull<f32>,
    rows: usize,
    cols: usize,
    row_stride: usize,
    life: PhantomData<&'a mut [f32]>,
}

// SAFETY: a `MatMut` is an exclusive borrow of `f32`s, like `&mut [f32]`.
unsafe impl Send for MatMut<'_> {}
// SAFETY: shared access only reads, like `&&mut [f32]`.
unsafe impl Sync for MatMut<'_> {}

impl<'a> MatMut<'a> {
    /// A row-major view of `data`: `rows × cols`, rows `row_stride` apart.
    ///
    /// # Panics
    /// If the view reaches beyond `data`, or its rows overlap (`row_stride < cols`).
    pub fn new(data: &'a mut [f32], rows: usize, cols: usize, row_stride: usize) -> Self {
        assert!(reach(rows, cols, row_stride, 1) <= data.len(), "matrix view beyond its buffer");
        assert!(rows <= 1 || row_stride >= cols, "overlapping rows");
        let ptr = NonNull::new(data.as_mut_ptr()).unwrap_or(NonNull::dangling());
        MatMut { ptr, rows, cols, row_stride, life: PhantomData }
    }

    /// `data` as one row.
    pub fn row_of(data: &'a mut [f32]) -> Self {
        let len = data.len();
        Self::new(data, 1, len, len)
    }

    /// # Safety
    /// Every element the view reaches is valid for reads and writes, and
    /// nobody else reads or writes it while the view (or anything derived
    /// from it) is used, during `'a`; `row_stride ≥ cols` when `rows > 1`.
    pub unsafe fn from_raw(ptr: *mut f32, rows: usize, cols: usize, row_stride: usize) -> Self {
        let ptr = NonNull::new(ptr).unwrap_or(NonNull::dangling());
        MatMut { ptr, rows, cols, row_stride, life: PhantomData }
    }

    pub fn rows(&self) -> usize {
        self.rows
    }

    pub fn cols(&self) -> usize {
        self.cols
    }

    pub fn row_stride(&self) -> usize {
        self.row_stride
    }

    pub fn as_mut_ptr(&mut self) -> *mut f32 {
        self.ptr.as_ptr()
    }

    /// A shorter-lived view of the same block.
    pub fn rb(&mut self) -> MatMut<'_> {
        MatMut { ptr: self.ptr, rows: self.rows, cols: self.cols, row_stride: self.row_stride, life: PhantomData }
    }

    /// Read access to the same block.
    pub fn as_ref(&self) -> MatRef<'_> {
        MatRef {
            ptr: self.ptr,
            rows: self.rows,
            cols: self.cols,
            row_stride: self.row_stride,
            col_stride: 1,
            life: PhantomData,
        }
    }

    /// Rows `rows` and columns `cols` of this view.
    ///
    /// # Panics
    /// If the block is not inside the view.
    pub fn into_block(self, rows: Range<usize>, cols: Range<usize>) -> Self {
        assert!(rows.start <= rows.end && rows.end <= self.rows && cols.start <= cols.end && cols.end <= self.cols);
        let offset = if rows.is_empty() || cols.is_empty() { 0 } else { rows.start * self.row_stride + cols.start };
        // SAFETY: inside this view (asserted), so inside its allocation.
        let ptr = unsafe { NonNull::new_unchecked(self.ptr.as_ptr().add(offset)) };
        MatMut { ptr, rows: rows.len(), cols: cols.len(), ..self }
    }

    /// Whether the rows follow each other with no gap.
    pub fn is_contiguous(&self) -> bool {
        self.rows <= 1 || self.row_stride == self.cols
    }

    /// Row `i`.
    ///
    /// # Panics
    /// If `i` is out of range.
    pub fn row_mut(&mut self, i: usize) -> &mut [f32] {
        assert!(i < self.rows, "row {i} of a {}-row view", self.rows);
        // SAFETY: row `i`'s `cols` elements lie inside the view, which this
        // borrow holds exclusively.
        unsafe { core::slice::from_raw_parts_mut(self.ptr.as_ptr().add(i * self.row_stride), self.cols) }
    }

    /// Row `i`, read-only.
    pub fn row(&self, i: usize) -> &[f32] {
        self.as_ref().row(i)
    }

    /// This view as a single row when it is contiguous and `flat` (see [`MatRef::flat_if`]).
    pub fn flat_if(self, flat: bool) -> Self {
        if flat && self.is_contiguous() && self.rows > 1 {
            let len = self.rows * self.cols;
            return MatMut { rows: 1, cols: len, row_stride: len, ..self };
        }
        self
    }
}

impl<'a> From<&'a mut [f32]> for MatMut<'a> {
    fn from(data: &'a mut [f32]) -> Self {
        MatMut::row_of(data)
    }
}

impl<'a> From<&'a [f32]> for MatRef<'a> {
    fn from(data: &'a [f32]) -> Self {
        MatRef::row_of(data)
    }
}

#[cfg(test)]
mod tests {
    use super::{MatMut, MatRef};

    #[test]
    fn blocks_transposes_and_rows_reach_the_right_elements() {
        let data: [f32; 12] = core::array::from_fn(|i| i as f32);
        let m = MatRef::new(&data, 3, 4, 4);
        let b = m.block(1..3, 1..3);
        assert_eq!((b.row(0), b.row(1)), (&[5.0, 6.0][..], &[9.0, 10.0][..]));
        let t = m.t();
        assert_eq!((t.rows(), t.cols(), t.row_stride(), t.col_stride()), (4, 3, 1, 4));
        assert_eq!(m.flat_if(true).row(0).len(), 12);
        assert_eq!(b.flat_if(true).rows(), 2, "a strided block stays in rows");
        let mut out = [0.0f32; 12];
        let mut view = MatMut::new(&mut out, 3, 2, 4).into_block(1..3, 1..2);
        view.row_mut(1)[0] = 7.0;
        assert_eq!(out[9], 7.0);
    }

    #[test]
    #[should_panic(expected = "beyond its buffer")]
    fn a_view_beyond_its_buffer_panics() {
        MatRef::new(&[0.0; 11], 3, 4, 4);
    }
}
