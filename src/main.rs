fn main() {
    std::process::exit(tc::main());
}
