//! Request bodies too large to hold in memory, kept in unnamed temporary files as nginx's
//! `client_body_temp` keeps them: a core hands the bytes to the spill thread as they arrive
//! and reads them back in pieces when it sends the upstream request, so a 60 MiB body costs
//! a core a few 64 KiB buffers. File I/O never runs on a core: one side thread does it, and
//! cores wait for its answers on channels.

use std::fs::File;
use std::io;
use std::os::unix::fs::FileExt;
use std::sync::Arc;

/// Bytes of a spilled body moved to or from its file at a time.
pub const SPILL_PIECE: usize = 64 * 1024;

/// A handle to the spill thread; cheap to clone, one per core.
#[derive(Debug, Clone)]
pub struct Spiller {
    jobs: flume::Sender<Job>,
}

enum Job {
    Create {
        reply: flume::Sender<io::Result<File>>,
    },
    Write {
        file: Arc<File>,
        offset: u64,
        data: Vec<u8>,
        reply: flume::Sender<(io::Result<()>, Vec<u8>)>,
    },
    Read {
        file: Arc<File>,
        offset: u64,
        buf: Vec<u8>,
        reply: flume::Sender<(io::Result<()>, Vec<u8>)>,
    },
}

impl Spiller {
    /// Starts the spill thread (`corelane-spill`).
    pub fn start() -> io::Result<Spiller> {
        let (jobs, rx) = flume::unbounded::<Job>();
        std::thread::Builder::new()
            .name("corelane-spill".into())
            .spawn(move || {
                for job in rx {
                    run(job);
                }
            })?;
        Ok(Spiller { jobs })
    }

    /// A new, empty spill file (unnamed: it disappears when its last handle closes).
    pub async fn create(&self) -> io::Result<SpillFile> {
        let (reply, rx) = flume::bounded(1);
        self.send(Job::Create { reply })?;
        let file = answer(rx.recv_async().await)??;
        Ok(SpillFile {
            file: Arc::new(file),
            len: 0,
            spiller: self.clone(),
        })
    }

    fn send(&self, job: Job) -> io::Result<()> {
        self.jobs
            .send(job)
            .map_err(|_| io::Error::other("the spill thread has stopped"))
    }
}

fn answer<T>(r: Result<T, flume::RecvError>) -> io::Result<T> {
    r.map_err(|_| io::Error::other("the spill thread has stopped"))
}

fn run(job: Job) {
    match job {
        Job::Create { reply } => {
            let _ = reply.send(tempfile::tempfile());
        }
        Job::Write {
            file,
            offset,
            data,
            reply,
        } => {
            let res = file.write_all_at(&data, offset);
            let _ = reply.send((res, data));
        }
        Job::Read {
            file,
            offset,
            mut buf,
            reply,
        } => {
            let want = buf.len();
            let res = file.read_exact_at(&mut buf[..want], offset);
            let _ = reply.send((res, buf));
        }
    }
}

/// One request's spilled body.
#[derive(Debug)]
pub struct SpillFile {
    file: Arc<File>,
    len: u64,
    spiller: Spiller,
}

impl SpillFile {
    pub fn len(&self) -> u64 {
        self.len
    }

    /// Appends `data`; gives the buffer back (cleared) for the next piece.
    pub async fn append(&mut self, data: Vec<u8>) -> io::Result<Vec<u8>> {
        let (reply, rx) = flume::bounded(1);
        let n = data.len() as u64;
        self.spiller.send(Job::Write {
            file: self.file.clone(),
            offset: self.len,
            data,
            reply,
        })?;
        let (res, mut data) = answer(rx.recv_async().await)?;
        res?;
        self.len += n;
        data.clear();
        Ok(data)
    }

    /// Reads `len` bytes at `offset` into `buf` (resized to `len`).
    pub async fn read_at(&self, offset: u64, len: usize, mut buf: Vec<u8>) -> io::Result<Vec<u8>> {
        buf.clear();
        buf.resize(len, 0);
        let (reply, rx) = flume::bounded(1);
        self.spiller.send(Job::Read {
            file: self.file.clone(),
            offset,
            buf,
            reply,
        })?;
        let (res, buf) = answer(rx.recv_async().await)?;
        res?;
        Ok(buf)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bytes_written_come_back_and_the_file_goes_away() {
        let mut rt = monoio::RuntimeBuilder::<monoio::LegacyDriver>::new()
            .build()
            .unwrap_or_else(|e| panic!("runtime: {e}"));
        rt.block_on(async {
            let spiller = Spiller::start().unwrap_or_else(|e| panic!("{e}"));
            let mut f = spiller.create().await.unwrap_or_else(|e| panic!("{e}"));
            let mut buf = Vec::new();
            for i in 0..3u8 {
                buf.extend_from_slice(&[i; 1000]);
                buf = f.append(buf).await.unwrap_or_else(|e| panic!("{e}"));
            }
            assert_eq!(f.len(), 3000);
            let back = f
                .read_at(990, 20, buf)
                .await
                .unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(&back[..10], &[0; 10]);
            assert_eq!(&back[10..], &[1; 10]);
            assert!(f.read_at(2990, 20, back).await.is_err(), "past the end");
        });
    }
}
