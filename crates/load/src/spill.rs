//! The form rows take while set aside on disk: the file schema with every
//! text column as bytes.
//!
//! Reading text back from Arrow IPC validates it with the standard library's
//! UTF-8 check, byte by byte (2% of a 20,000-file run, most of its text
//! Chinese). Set aside as bytes, the rows are read back with only their
//! offsets checked, and [`from_spill`] checks the text with the vectorized
//! `simdutf8` instead — the same checks, so a damaged spill file is an error,
//! never invalid text in a `StringArray`.

use std::sync::Arc;

use arrow_array::cast::AsArray;
use arrow_array::{Array, ArrayRef, BinaryArray, ListArray, RecordBatch, StringArray};
use arrow_schema::{ArrowError, DataType, Field, Schema, SchemaRef};

use crate::schema::article_file_schema;

/// [`article_file_schema`] with `Utf8` as `Binary`, in lists too.
pub fn spill_schema() -> SchemaRef {
    let fields: Vec<Field> = article_file_schema()
        .fields()
        .iter()
        .map(|field| {
            field
                .as_ref()
                .clone()
                .with_data_type(as_bytes(field.data_type()))
        })
        .collect();
    Arc::new(Schema::new(fields))
}

fn as_bytes(data_type: &DataType) -> DataType {
    match data_type {
        DataType::Utf8 => DataType::Binary,
        DataType::List(item) => DataType::List(Arc::new(
            item.as_ref()
                .clone()
                .with_data_type(as_bytes(item.data_type())),
        )),
        other => other.clone(),
    }
}

/// A batch of [`article_file_schema`] as a batch of [`spill_schema`]; the
/// buffers are shared, not copied.
pub fn to_spill(batch: &RecordBatch) -> Result<RecordBatch, ArrowError> {
    let columns = batch.columns().iter().map(text_to_bytes).collect();
    RecordBatch::try_new(spill_schema(), columns)
}

fn text_to_bytes(column: &ArrayRef) -> ArrayRef {
    match column.data_type() {
        DataType::Utf8 => Arc::new(BinaryArray::from(column.as_string::<i32>().clone())),
        DataType::List(_) => {
            let list = column.as_list::<i32>();
            let values = text_to_bytes(list.values());
            let field = Arc::new(Field::new("item", values.data_type().clone(), false));
            Arc::new(ListArray::new(
                field,
                list.offsets().clone(),
                values,
                list.nulls().cloned(),
            ))
        }
        _ => Arc::clone(column),
    }
}

/// A batch read back from a spill file as a batch of
/// [`article_file_schema`]; fails if any text is not UTF-8 or an offset
/// falls inside a character (a damaged file).
pub fn from_spill(batch: &RecordBatch) -> Result<RecordBatch, ArrowError> {
    let columns = batch
        .columns()
        .iter()
        .map(bytes_to_text)
        .collect::<Result<_, _>>()?;
    RecordBatch::try_new(article_file_schema(), columns)
}

fn bytes_to_text(column: &ArrayRef) -> Result<ArrayRef, ArrowError> {
    match column.data_type() {
        DataType::Binary => {
            let (offsets, values, nulls) = column.as_binary::<i32>().clone().into_parts();
            // What `StringArray::try_new` checks beyond a valid binary array:
            // all its bytes are UTF-8 and every offset starts a character.
            simdutf8::basic::from_utf8(&values).map_err(|_| {
                ArrowError::InvalidArgumentError("set-aside text is not UTF-8".into())
            })?;
            let inside_a_character = |&offset: &i32| {
                values
                    .get(offset as usize)
                    .is_some_and(|byte| (0x80..0xC0).contains(byte))
            };
            if offsets.iter().any(inside_a_character) {
                return Err(ArrowError::InvalidArgumentError(
                    "set-aside text is cut inside a character".into(),
                ));
            }
            // SAFETY: the offsets and nulls come from a `BinaryArray`, which
            // the IPC reader validated (offsets ascending, within `values`,
            // nulls of the right length); `values` was just checked to be
            // UTF-8 and no offset to fall on a continuation byte. That is
            // everything `StringArray::try_new` checks.
            Ok(Arc::new(unsafe {
                StringArray::new_unchecked(offsets, values, nulls)
            }))
        }
        DataType::List(_) => {
            let list = column.as_list::<i32>();
            let values = bytes_to_text(list.values())?;
            let field = Arc::new(Field::new("item", values.data_type().clone(), false));
            Ok(Arc::new(ListArray::try_new(
                field,
                list.offsets().clone(),
                values,
                list.nulls().cloned(),
            )?))
        }
        _ => Ok(Arc::clone(column)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::batch::ArticleBatch;

    fn articles() -> RecordBatch {
        let mut rows = Vec::new();
        for i in 0..5 {
            let mut article = crate::warehouse::tests::article(
                "rfi",
                "2021-03-18T13:55:11Z",
                &format!("中/{i}.md"),
            );
            article.lead = (i % 2 == 0).then(|| "导语 lead".to_string());
            article.image_urls = (0..i).map(|j| format!("https://x.org/图{j}.jpg")).collect();
            rows.push(article);
        }
        ArticleBatch::of(&rows).unwrap()
    }

    #[test]
    fn rows_set_aside_come_back_the_same() {
        let batch = articles();
        let spilled = to_spill(&batch).unwrap();
        assert_eq!(spilled.schema(), spill_schema());
        assert!(spilled
            .columns()
            .iter()
            .all(|c| !matches!(c.data_type(), DataType::Utf8)));
        assert_eq!(from_spill(&spilled).unwrap(), batch);
    }

    #[test]
    fn damaged_text_is_an_error_not_a_string() {
        let text =
            |bytes: &[&[u8]]| -> ArrayRef { Arc::new(BinaryArray::from_vec(bytes.to_vec())) };
        assert!(bytes_to_text(&text(&[b"ok", "中".as_bytes()])).is_ok());
        // Not UTF-8 at all.
        let error = bytes_to_text(&text(&[b"ok", b"\xff\xfe"])).unwrap_err();
        assert!(error.to_string().contains("not UTF-8"), "{error}");
        // Valid as a whole, but the second value starts inside `中`.
        let whole = BinaryArray::from_vec(vec!["中".as_bytes()]);
        let (_, values, _) = whole.into_parts();
        let offsets = arrow_buffer::OffsetBuffer::new(vec![0, 1, 3].into());
        let cut = BinaryArray::new(offsets, values, None);
        let error = bytes_to_text(&(Arc::new(cut) as ArrayRef)).unwrap_err();
        assert!(error.to_string().contains("inside a character"), "{error}");
    }
}
