//! A body spilled to a file: `BodyScanner` fed the body in pieces must answer exactly what
//! `inspect` answers for the whole (fields, spans, error), and the splice plan applied piece
//! by piece must give exactly `splice`'s bytes. The first two input bytes choose the pieces:
//! a cut point, then pieces of a fixed size.
#![no_main]

use corelane_transforms::json::tape::Scratch;
use corelane_transforms::{inspect, splice, splice_plan, BodyScanner, RequestError, RequestFields};
use libfuzzer_sys::fuzz_target;

/// `body` in pieces ending at `cuts` (sorted) and at its end.
fn pieces<'b>(body: &'b [u8], cuts: &[usize]) -> Vec<(usize, &'b [u8])> {
    let mut out = Vec::new();
    let mut from = 0;
    for &cut in cuts.iter().chain([body.len()].iter()) {
        out.push((from, &body[from..cut]));
        from = cut;
    }
    out
}

fn scan(pieces: &[(usize, &[u8])]) -> Result<RequestFields, RequestError> {
    let mut s = BodyScanner::new();
    for (_, piece) in pieces {
        s.feed(piece)?;
    }
    s.finish()
}

fuzz_target!(|data: &[u8]| {
    let [cut, size, body @ ..] = data else {
        return;
    };
    let cut = usize::from(*cut) * body.len() / 255;
    let size = usize::from(*size % 16) + 1;
    let want = inspect(body, &mut Scratch::new());
    let splits = [
        vec![cut],
        (size..body.len()).step_by(size).collect::<Vec<_>>(),
    ];
    for cuts in &splits {
        let pieces = pieces(body, cuts);
        let got = scan(&pieces);
        assert_eq!(got, want, "{:?} cut at {cuts:?}", String::from_utf8_lossy(body));
        let Ok(fields) = &want else {
            continue;
        };
        for force in [false, true] {
            let mut whole = Vec::new();
            splice(body, fields, "NEW", force, &mut whole);
            let plan = splice_plan(fields, "NEW", force);
            assert_eq!(plan.output_len(body.len()), whole.len());
            let mut applied = Vec::new();
            for (offset, piece) in &pieces {
                plan.apply(piece, *offset, &mut applied);
            }
            assert_eq!(applied, whole, "{:?} cut at {cuts:?}", String::from_utf8_lossy(body));
        }
    }
});
