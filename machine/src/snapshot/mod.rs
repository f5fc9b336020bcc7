pub mod file;
pub mod ram;
