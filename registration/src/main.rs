use std::io::Read;
fn main() {
    let path = std::env::args().nth(1).unwrap();
    let mut buf = Vec::new();
    std::fs::File::open(path)
        .unwrap()
        .read_to_end(&mut buf)
        .unwrap();
    match mparticle_firehose::Message::decode(&buf) {
        Ok(m) => println!("{}", m.to_json().unwrap()),
        Err(e) => {
            eprintln!("{e}");
            std::process::exit(1)
        }
    }
}
